// Units that run after other units (UnitSpec.after): the plan refuses a dependency that is not an
// earlier unit, the stages are what Slurm submits as chained arrays, the local executor runs a unit
// only after the units it reads (in this process and in worker processes), hands it their outputs,
// and a failed unit stops the units after it and the reduce step; `nnlab status` calls those blocked.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

import {
  GraphRunner,
  makePlan,
  Plan,
  readUnitFailure,
  readUnitOutput,
  runLocal,
  runStatus,
  runUnitHere,
  stages,
  UnitSpec,
  writePlan,
} from '../../lib/scale/index.js';
import { tmp } from '../studies/helpers.js';

const R = { cpus: 1, memMB: 100, gpu: false };
const unit = (id: string, after?: string[]): UnitSpec => ({ id, input: { id }, resources: R, ...(after && { after }) });
// pretrain <- tuned; a, b independent; c after tuned (a chain of three stages).
const UNITS = [unit('pretrain'), unit('a'), unit('tuned', ['pretrain']), unit('b'), unit('c', ['tuned', 'a'])];

/** A runner that records the order it ran units in and what each unit received from the ones before it. */
function recorder(fail: string[] = []) {
  const ran: string[] = [];
  const got: Record<string, Record<string, unknown>> = {};
  let reduced = false;
  const runner: GraphRunner = {
    async runUnit(_plan, u, ctx) {
      if (fail.includes(u.id)) throw new Error(`unit ${u.id} broke`);
      ran.push(u.id);
      got[u.id] = Object.fromEntries([...ctx.after].map(([k, v]) => [k, v.output.value]));
      return { value: `${u.id}-out` };
    },
    async reduce() {
      reduced = true;
      return { headline: {} };
    },
  };
  return { runner, ran, got, reduced: () => reduced };
}

describe('units after units', () => {
  it('the plan accepts only earlier units in after; stages group what can run together', () => {
    expect(() => makePlan('t', {}, [unit('x', ['y']), unit('y')], R)).toThrow(/'x' runs after 'y', which is not earlier in the plan/);
    expect(() => makePlan('t', {}, [unit('x', ['nope'])], R)).toThrow(/'x' runs after 'nope', which is not a unit of it/);
    expect(stages(UNITS).map((s) => s.map((u) => u.id))).toEqual([['pretrain', 'a', 'b'], ['tuned'], ['c']]);
    // finished units drop out: what is left of a chain starts at stage 0
    expect(stages(UNITS.slice(2)).map((s) => s.map((u) => u.id))).toEqual([['tuned', 'b'], ['c']]);
  });

  it('in this process: plan order, each unit gets the outputs of the units it runs after', async () => {
    const run = tmp('stages-local');
    const plan = makePlan('t', { out: run }, UNITS, R);
    const r = recorder();
    const res = await runLocal(run, plan, r.runner, { jobs: 1, unitCommand: [], log: () => {} });
    expect(res.ok).toBe(true);
    expect(r.ran).toEqual(['pretrain', 'a', 'tuned', 'b', 'c']);
    expect(r.got.tuned).toEqual({ pretrain: 'pretrain-out' });
    expect(r.got.c).toEqual({ tuned: 'tuned-out', a: 'a-out' });
    expect(r.reduced()).toBe(true);
  });

  it('a unit started before the units it reads (nnlab unit by hand) fails with a marker that says why', async () => {
    const run = tmp('stages-early');
    const plan = makePlan('t', { out: run }, UNITS, R);
    const r = recorder();
    await expect(runUnitHere(run, plan, UNITS[2], r.runner, () => {})).rejects.toThrow(
      /unit 'tuned' failed: it runs after unit 'pretrain', which has not finished/,
    );
    expect(r.ran).toEqual([]);
    expect(readUnitFailure(run, 'tuned')?.error).toBe("it runs after unit 'pretrain', which has not finished");
    await runUnitHere(run, plan, UNITS[0], r.runner, () => {});
    await runUnitHere(run, plan, UNITS[2], r.runner, () => {});
    expect(r.ran).toEqual(['pretrain', 'tuned']);
    expect(readUnitFailure(run, 'tuned')).toBeNull();
  });

  it('a failed unit: the units after it do not run, the others do, the reduce step does not; status says blocked', async () => {
    const run = tmp('stages-fail');
    const plan = makePlan('t', { out: run }, UNITS, R);
    writePlan(run, plan);
    const r = recorder(['pretrain']);
    const res = await runLocal(run, plan, r.runner, { jobs: 1, unitCommand: [], log: () => {} });
    expect(res.ok).toBe(false);
    expect(r.ran).toEqual(['a', 'b']);
    expect(res.failed.map((f) => [f.id, f.error.replace(/:.*broke/, ': broke')])).toEqual([
      ['pretrain', "unit 'pretrain' failed: broke"],
      ['tuned', "not run: it runs after unit 'pretrain', which failed"],
      ['c', "not run: it runs after unit 'tuned', which failed"],
    ]);
    expect(r.reduced()).toBe(false);
    const st = runStatus(run, plan, false);
    expect(st.units.map((u) => [u.id, u.state])).toEqual([
      ['pretrain', 'failed'],
      ['a', 'done'],
      ['tuned', 'blocked'],
      ['b', 'done'],
      ['c', 'blocked'],
    ]);
    expect(st.units[2].error).toBe("it runs after unit 'pretrain', which failed");
    expect(st.reduce.state).toBe('not submitted');
  });

  it('in worker processes: a stage starts only when the stage before it finished', async () => {
    const run = tmp('stages-workers');
    const plan: Plan = makePlan('t', { out: run }, UNITS, R);
    // A worker process as `nnlab unit` is to the executor: it writes the unit's marker (the real
    // units.ts code) and logs when it started and ended. 'pretrain' ends only once 'a' has started
    // (or after 60 s, as 'end-alone'): proof that stage 0 runs two units at once.
    const worker = join(run, 'worker.mjs');
    writeFileSync(
      worker,
      `import { appendFileSync, readFileSync } from 'node:fs';
import { writeUnitOutput } from ${JSON.stringify(resolve('dist/scale/units.js'))};
const [run, id] = process.argv.slice(2);
const log = (what) => appendFileSync(run + '/order.log', what + ' ' + id + '\\n');
log('start');
let alone = false;
if (id === 'pretrain') {
  const t0 = Date.now();
  while (!readFileSync(run + '/order.log', 'utf8').includes('start a')) {
    if (Date.now() - t0 > 60000) { alone = true; break; }
    await new Promise((r) => setTimeout(r, 50));
  }
}
log(alone ? 'end-alone' : 'end');
writeUnitOutput(run, { id, output: { threads: process.env.NNLAB_THREADS }, seconds: 0, threads: 1, finished_at: '' });
`,
    );
    const r = recorder();
    const res = await runLocal(run, plan, r.runner, { jobs: 2, unitCommand: [process.execPath, worker], log: () => {} });
    expect(res.ok, JSON.stringify(res.failed)).toBe(true);
    const order = readFileSync(join(run, 'order.log'), 'utf8').trim().split('\n');
    const at = (line: string) => order.indexOf(line);
    // stage 0 ran two at a time: a started while pretrain was still running
    expect(order).toContain('end pretrain');
    expect(at('start a')).toBeLessThan(at('end pretrain'));
    // tuned started after pretrain ended, c after tuned
    expect(at('start tuned')).toBeGreaterThan(at('end pretrain'));
    expect(at('start c')).toBeGreaterThan(at('end tuned'));
    expect(readUnitOutput(run, 'c')?.output).toEqual({ threads: '1' });
    expect(r.reduced()).toBe(true);
  });
});
