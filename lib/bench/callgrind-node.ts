// Instruction counts of a timed workload or a user model: its process (Node running child.ts)
// under valgrind's callgrind, counting the instructions executed inside native addons (*.node:
// nnlab's kernels and N-API glue), not Node's JIT or garbage collector, whose work varies from run
// to run. One thread and the AVX2 kernels (valgrind cannot run AVX-512), one warm-up step and one
// measured step after the model's setup: the count depends on the code and the shapes only.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { IOError } from '../core/errors.js';
import type { ChildSpec } from './child.js';
import type { UserModelSpec } from './workloads/index.js';

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));

/**
 * Self cost (instructions) per object file of a callgrind output written with
 * --compress-strings=no --compress-pos=no: cost lines add to the current `ob=`, except the line
 * after `calls=`, which is the inclusive cost of a call (counted where it is spent instead).
 */
export function selfCostByObject(text: string): Map<string, number> {
  const totals = new Map<string, number>();
  let ob = '',
    afterCall = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('ob=')) ob = line.slice(3);
    else if (line.startsWith('calls=')) afterCall = true;
    else if (/^[0-9+\-*]/.test(line)) {
      if (afterCall) {
        afterCall = false;
        continue;
      }
      const ir = Number(line.split(' ')[1] ?? 0);
      if (ir) totals.set(ob, (totals.get(ob) ?? 0) + ir);
    }
  }
  return totals;
}

/** Instructions inside native addons of one workload's process (quick sizes). */
export function countNodeWorkload(id: string, model?: UserModelSpec): number {
  const dir = mkdtempSync(join(tmpdir(), 'nnlab-callgrind-'));
  const out = join(dir, 'callgrind.out');
  try {
    const spec: ChildSpec = { id, model, quick: true, reps: 1, warmup: 1, minRepMs: 0 };
    const r = spawnSync(
      'valgrind',
      [
        '--tool=callgrind',
        '--compress-strings=no',
        '--compress-pos=no',
        `--callgrind-out-file=${out}`,
        process.execPath,
        CHILD,
        JSON.stringify(spec),
      ],
      { encoding: 'utf8', env: { ...process.env, NNLAB_DISABLE_AVX512: '1', NNLAB_THREADS: '1' }, maxBuffer: 64 << 20 },
    );
    const last = (r.stdout ?? '')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .pop();
    const res = last ? (JSON.parse(last) as { error?: string }) : null;
    if (r.status !== 0 || !res || res.error)
      throw new IOError(
        `callgrind of ${model ? model.file : id} failed: ${res?.error ?? (r.stderr ?? String(r.error)).split('\n').slice(-5).join('\n')}`,
      );
    let total = 0;
    for (const [ob, ir] of selfCostByObject(readFileSync(out, 'utf8'))) if (ob.endsWith('.node')) total += ir;
    if (!total) throw new IOError(`callgrind of ${model ? model.file : id}: no instructions in a native addon (is nnlab's addon loaded?)`);
    return total;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
