// `nnlab sweep <config.json|yaml>`: a grid or a seeded random search over the parameters of `train` or
// of a study, one unit per point (units/point-NNN, a complete run folder each), and a reduce step
// that writes one table and one figure per parameter (metric vs parameter) into the sweep's run
// folder. The points are drawn once, when planning, and recorded in scale/plan.json.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

import { ArgumentError, IOError } from '../core/errors.js';
import { mulberry32 } from '../core/mulberry32.js';
import { writeCsv } from '../io/csv.js';
import { RunFolder } from '../report/run-folder.js';
import type { StudySummary } from '../report/run-folder.js';
import type { GraphRunner, Resources, UnitSpec } from '../scale/index.js';
import { STUDIES } from '../studies/index.js';
import { defaultCpus } from '../studies/shared/graph.js';
import { linePlot, Series } from '../viz/line-plot.js';
import { runTrain, TRAIN_DEFAULTS, TrainConfig } from './train-command.js';

type Value = number | string | boolean;
type Dist = { uniform: [number, number] } | { logUniform: [number, number] } | { int: [number, number] } | { choice: Value[] };

export interface SweepConfig {
  /** 'train' or a study id. */
  target: string;
  /** Study preset the points start from (default quick). */
  preset?: 'quick' | 'full';
  /** Fixed parameters of every point. */
  base?: Record<string, Value>;
  /** Every combination of these values. */
  grid?: Record<string, Value[]>;
  /** Or `trials` points drawn from these distributions with `seed`. */
  random?: { trials: number; seed?: number; space: Record<string, Dist> };
  /** A number of the point's summary (train: test_accuracy, test_loss...; a study: a headline key). */
  metric: string;
  /** Which end of the metric is best (default max). */
  goal?: 'max' | 'min';
  resources?: Partial<Resources>;
}

/** A sweep config file: YAML when it ends in .yaml / .yml (the same keys as JSON), JSON otherwise. */
export function readSweepConfig(path: string): SweepConfig {
  if (!existsSync(path)) throw new IOError(`sweep config ${path} does not exist`);
  const isYaml = /\.ya?ml$/i.test(path);
  let c: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    c = isYaml ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new IOError(`sweep config ${path}: not ${isYaml ? 'YAML' : 'JSON'} (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof c !== 'object' || c === null || Array.isArray(c))
    throw new ArgumentError(`sweep config ${path}: must be a mapping with "target", "metric" and "grid" or "random"`);
  checkSweep(c as SweepConfig, path);
  return c as SweepConfig;
}

function knownKeys(target: string): string[] {
  if (target === 'train') return [...Object.keys(TRAIN_DEFAULTS), 'limit', 'dataDir'];
  const s = STUDIES[target];
  if (!s) throw new ArgumentError(`sweep target '${target}' is neither 'train' nor a study (${Object.keys(STUDIES).join(', ')})`);
  return Object.keys(s.full)
    .concat(Object.keys(s.quick))
    .filter((k) => k !== 'out' && k !== 'force');
}

export function checkSweep(c: SweepConfig, where: string): void {
  if (typeof c.target !== 'string') throw new ArgumentError(`${where}: "target" must be 'train' or a study id`);
  if (typeof c.metric !== 'string') throw new ArgumentError(`${where}: "metric" must name a number of the summary`);
  if (!!c.grid === !!c.random) throw new ArgumentError(`${where}: give exactly one of "grid" and "random"`);
  const known = knownKeys(c.target);
  const names = [...Object.keys(c.base ?? {}), ...Object.keys(c.grid ?? {}), ...Object.keys(c.random?.space ?? {})];
  const bad = names.filter((n) => !known.includes(n));
  if (bad.length)
    throw new ArgumentError(`${where}: ${c.target} has no parameter ${bad.map((b) => `'${b}'`).join(', ')} (known: ${known.join(', ')})`);
  if (c.grid)
    for (const [k, v] of Object.entries(c.grid))
      if (!Array.isArray(v) || !v.length) throw new ArgumentError(`${where}: grid.${k} must be a non-empty list`);
  if (c.random && !(Number.isInteger(c.random.trials) && c.random.trials > 0))
    throw new ArgumentError(`${where}: random.trials must be a positive integer`);
}

function draw(d: Dist, r: () => number, name: string): Value {
  if ('choice' in d) return d.choice[Math.floor(r() * d.choice.length)];
  if ('uniform' in d) return d.uniform[0] + r() * (d.uniform[1] - d.uniform[0]);
  if ('logUniform' in d) {
    const [lo, hi] = d.logUniform;
    if (!(lo > 0 && hi > 0)) throw new ArgumentError(`sweep: ${name}.logUniform bounds must be > 0`);
    return Math.exp(Math.log(lo) + r() * (Math.log(hi) - Math.log(lo)));
  }
  if ('int' in d) return d.int[0] + Math.floor(r() * (d.int[1] - d.int[0] + 1));
  throw new ArgumentError(`sweep: ${name} must be {uniform}, {logUniform}, {int} or {choice}`);
}

/** The sweep's points: every grid combination, or the random draws. */
export function sweepPoints(c: SweepConfig): Record<string, Value>[] {
  if (c.grid) {
    let pts: Record<string, Value>[] = [{}];
    for (const [k, vs] of Object.entries(c.grid)) pts = pts.flatMap((p) => vs.map((v) => ({ ...p, [k]: v })));
    return pts;
  }
  const r = mulberry32(c.random!.seed ?? 0); // the same points on every machine
  return Array.from({ length: c.random!.trials }, () =>
    Object.fromEntries(Object.entries(c.random!.space).map(([k, d]) => [k, draw(d, r, k)])),
  );
}

export function sweepUnits(c: SweepConfig): UnitSpec[] {
  const res: Resources = { cpus: defaultCpus(c.preset ?? 'quick'), memMB: 4000, gpu: false, ...c.resources };
  return sweepPoints(c).map((p, i) => ({ id: `point-${String(i).padStart(3, '0')}`, input: { params: p }, resources: res }));
}

function metricOf(summary: Record<string, unknown>, metric: string, unit: string): number {
  const v = (summary.headline as Record<string, unknown> | undefined)?.[metric] ?? summary[metric];
  if (typeof v !== 'number')
    throw new ArgumentError(
      `sweep: ${unit}'s summary has no number '${metric}' (it has: ${Object.keys((summary.headline as object) ?? summary).join(', ')})`,
    );
  return v;
}

export const sweepRunner: GraphRunner = {
  async runUnit(plan, unit, ctx) {
    const c = plan.config.sweep as SweepConfig;
    const params = { ...c.base, ...(unit.input.params as Record<string, Value>) };
    let summary: Record<string, unknown>;
    if (c.target === 'train') {
      const cfg = { ...TRAIN_DEFAULTS, ...params, out: ctx.dir } as TrainConfig;
      // A point stopped mid-training continues from its own checkpoint.
      const resumeDir = existsSync(join(ctx.dir, 'config.json')) ? ctx.dir : undefined;
      summary = (await runTrain(cfg, { resumeDir, log: ctx.log })) as unknown as Record<string, unknown>;
    } else {
      const s = STUDIES[c.target];
      const preset = (c.preset ?? 'quick') === 'quick' ? s.quick : s.full;
      summary = (await s.run(
        { ...preset, ...params, out: ctx.dir, force: existsSync(join(ctx.dir, 'config.json')) },
        { log: ctx.log },
      )) as unknown as Record<string, unknown>;
    }
    return { params, metric: metricOf(summary, c.metric, unit.id), out: ctx.dir };
  },
  async reduce(plan, ctx) {
    const c = plan.config.sweep as SweepConfig;
    const goal = c.goal ?? 'max';
    const folder = new RunFolder('sweep', ctx.run, { resume: true });
    folder.writeConfig({ ...c, points: plan.units.length, out: ctx.run }, 'cpu');
    const rows = plan.units.map((u) => {
      const o = ctx.outputs.get(u.id)!.output;
      return { id: u.id, params: o.params as Record<string, Value>, metric: o.metric as number, seconds: ctx.outputs.get(u.id)!.seconds };
    });
    const varied = Object.keys(c.grid ?? c.random!.space);
    writeCsv(
      join(folder.dir, 'sweep.csv'),
      ['unit', ...varied, c.metric, 'seconds'],
      rows.map((r) => [r.id, ...varied.map((k) => String(r.params[k])), r.metric, r.seconds]),
    );
    const best = rows.reduce((b, r) => ((goal === 'max' ? r.metric > b.metric : r.metric < b.metric) ? r : b));
    const fmt = (v: Value) => (typeof v === 'number' && !Number.isInteger(v) ? +v.toPrecision(4) : v);
    folder.table('points', {
      title: `${c.target}: ${c.metric} at each point (best: ${best.id})`,
      columns: ['unit', ...varied, c.metric, 'seconds'],
      rows: rows.map((r) => [
        r.id,
        ...varied.map((k) => fmt(r.params[k]) as string | number),
        +r.metric.toPrecision(6),
        +r.seconds.toFixed(1),
      ]),
    });
    for (const k of varied) {
      if (!rows.every((r) => typeof r.params[k] === 'number')) continue;
      // One line per combination of the other parameters (a grid); a random search is one cloud.
      const others = varied.filter((o) => o !== k);
      const groups = new Map<string, { x: number; y: number }[]>();
      for (const r of rows) {
        const key = c.grid && others.length ? others.map((o) => `${o}=${fmt(r.params[o])}`).join(', ') : c.metric;
        groups.set(key, [...(groups.get(key) ?? []), { x: r.params[k] as number, y: r.metric }]);
      }
      const series: Series[] = [...groups].map(([name, pts]) => {
        pts.sort((a, b) => a.x - b.x);
        return { name, x: pts.map((p) => p.x), y: pts.map((p) => p.y) };
      });
      folder.figure(
        `${c.metric}_vs_${k}`,
        `${c.metric} vs ${k}`,
        linePlot(series, { title: `${c.target}: ${c.metric} vs ${k}`, xLabel: k, yLabel: c.metric }),
      );
    }
    const headline: Record<string, number | string> = { points: rows.length, [`best_${c.metric}`]: best.metric, best_point: best.id };
    for (const k of varied) headline[`best_${k}`] = fmt(best.params[k]) as number | string;
    ctx.log(`sweep: best ${c.metric} ${best.metric} at ${best.id} (${JSON.stringify(best.params)})`);
    return folder.finish(headline, { rows }) as unknown as Record<string, unknown>;
  },
};

export type { StudySummary };
