// `nnlab reproduce`: every study's preset as one graph. A study that declares units contributes
// them (<study>--<unit>); any other study is one unit that runs it whole. The reduce step runs the
// declaring studies' reduce steps, then writes index.html linking every study's report.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { ArgumentError } from '../core/errors.js';
import { writeSite } from '../report/site.js';
import type { GraphRunner, Resources, UnitOutput, UnitSpec } from '../scale/index.js';
import { STUDIES } from '../studies/index.js';
import type { BaseConfig } from '../studies/shared/common.js';
import { defaultCpus } from '../studies/shared/graph.js';

export interface ReproduceConfig {
  preset: 'quick' | 'full';
  out: string;
  /** Study id -> its configuration (preset, out = <out>/<study>, the shared members cache). */
  studies: Record<string, BaseConfig & { cacheDir?: string }>;
}

const SEP = '--';

export function reproduceConfig(preset: 'quick' | 'full', out: string, only?: string[]): ReproduceConfig {
  const ids = only ?? Object.keys(STUDIES);
  const unknown = ids.filter((i) => !STUDIES[i]);
  if (unknown.length) throw new ArgumentError(`reproduce: unknown study ${unknown.join(', ')} (known: ${Object.keys(STUDIES).join(', ')})`);
  // The seed-000 studies share their ResNet18 members: one cache for the whole reproduction.
  const cacheDir = resolve(process.env.NNLAB_CACHE_DIR ?? join(out, '.cache'));
  const studies: ReproduceConfig['studies'] = {};
  for (const id of ids) {
    const p = preset === 'quick' ? STUDIES[id].quick : STUDIES[id].full;
    studies[id] = { ...p, out: join(out, id), ...('seeds' in p && { cacheDir }) };
  }
  return { preset, out, studies };
}

export function reproduceUnits(c: ReproduceConfig): { units: UnitSpec[]; reduce: Resources } {
  const units: UnitSpec[] = [];
  const whole: Resources = { cpus: defaultCpus(c.preset), memMB: c.preset === 'quick' ? 4000 : 16000, gpu: false };
  for (const [id, cfg] of Object.entries(c.studies)) {
    const g = STUDIES[id].graph;
    if (g)
      for (const u of g.units(cfg))
        units.push({
          ...u,
          id: `${id}${SEP}${u.id}`,
          input: { study: id, unit: u },
          ...(u.after && { after: u.after.map((d) => `${id}${SEP}${d}`) }),
        });
    else units.push({ id, input: { study: id }, resources: { ...whole, gpu: cfg.device === 'cuda' } });
  }
  return { units, reduce: whole };
}

export const reproduceRunner: GraphRunner = {
  async runUnit(plan, unit, ctx) {
    const c = plan.config as unknown as ReproduceConfig;
    const id = unit.input.study as string;
    const cfg = c.studies[id];
    const s = STUDIES[id];
    if (unit.input.unit) {
      const after = new Map([...ctx.after].map(([d, o]) => [d.slice(id.length + SEP.length), o]));
      return s.graph!.runUnit(cfg, unit.input.unit as UnitSpec, { run: cfg.out!, dir: ctx.dir, after, log: ctx.log });
    }
    // A whole study: a rerun after a crash replaces its half-written folder.
    const summary = await s.run({ ...cfg, force: existsSync(join(cfg.out!, 'config.json')) }, { log: ctx.log });
    return { study: id, out: summary.out, seconds: summary.seconds };
  },
  async reduce(plan, ctx) {
    const c = plan.config as unknown as ReproduceConfig;
    for (const [id, cfg] of Object.entries(c.studies)) {
      const g = STUDIES[id].graph;
      if (!g) continue;
      const outputs = new Map<string, UnitOutput>();
      for (const [uid, o] of ctx.outputs) if (uid.startsWith(`${id}${SEP}`)) outputs.set(uid.slice(id.length + SEP.length), o);
      ctx.log(`reproduce: ${id}: reduce step over ${outputs.size} unit(s)`);
      await g.reduce({ ...cfg, force: existsSync(join(cfg.out!, 'config.json')) }, { run: cfg.out!, outputs, log: ctx.log });
    }
    const entries = Object.keys(c.studies).map((id) => ({ id, description: STUDIES[id].description, dir: c.studies[id].out! }));
    const index = writeSite(c.out, entries, `nnlab reproduce (${c.preset} presets)`);
    ctx.log(`reproduce: ${index}`);
    const done = entries.filter((e) => existsSync(join(e.dir, 'summary.json'))).length;
    return { study: 'reproduce', out: c.out, seconds: 0, headline: { studies: entries.length, reports: done, index } };
  },
};
