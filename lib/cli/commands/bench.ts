// `nnlab bench`: the standard workloads or a user's model timed on this host (or their kernels'
// instructions counted under callgrind), saved as a baseline or compared with one; exit code 1 on
// a regression (docs/bench.md).
import { readFileSync, writeFileSync } from 'node:fs';

import {
  bench,
  compare,
  formatComparison,
  formatResult,
  parseShape,
  parseThreshold,
  STANDARD_WORKLOADS,
  type BenchResult,
} from '../../bench/index.js';
import { isError } from '../../bench/types.js';
import { IOError } from '../../core/errors.js';
import { parseArgs, UsageError } from '../args.js';
import type { Command } from '../command.js';

function readBaseline(file: string): BenchResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new IOError(`bench --compare: cannot read the baseline ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as BenchResult;
  } catch {
    throw new IOError(`bench --compare: ${file} is not JSON (write one with nnlab bench --save ${file})`);
  }
}

export const benchCommand: Command = {
  name: 'bench',
  usage: `nnlab bench [--quick] [--only ${STANDARD_WORKLOADS.map((w) => w.id).join(',')}] [--reps N] [--no-roofline] [--clock wall|cpu]
          [--model FILE --input N,C,H,W [--mode infer|train] (a module exporting createModel(): docs/bench.md)]
          [--counts [--build-dir DIR] (instructions under valgrind callgrind: the guard's kernels, or --model / --only)]
          [--save FILE] [--compare FILE [--threshold 5%] [--alpha 0.05]] [--json | --markdown]`,
  async run(argv) {
    const a = parseArgs(argv, {
      quick: { type: 'bool' },
      only: { type: 'string' },
      reps: { type: 'int', min: 1 },
      'no-roofline': { type: 'bool' },
      clock: { type: 'string', choices: ['wall', 'cpu'] },
      model: { type: 'string' },
      input: { type: 'string' },
      mode: { type: 'string', choices: ['infer', 'train'] },
      counts: { type: 'bool' },
      'build-dir': { type: 'string' },
      save: { type: 'string' },
      compare: { type: 'string' },
      threshold: { type: 'string' },
      alpha: { type: 'float', min: 0 },
      json: { type: 'bool' },
      markdown: { type: 'bool' },
    });
    if (a.positional.length) throw new UsageError(`unexpected argument '${a.positional[0]}'`);
    const f = a.flags;
    if (f.json && f.markdown) throw new UsageError('--json and --markdown exclude each other');
    if ((f.input || f.mode) && !f.model) throw new UsageError('--input and --mode go with --model');
    if (f.counts && (f.reps || f.quick || f['no-roofline']))
      throw new UsageError('--counts takes neither --reps, --quick nor --no-roofline (counts do not vary between runs)');
    if (!f.counts && f['build-dir']) throw new UsageError('--build-dir goes with --counts');
    if ((f.threshold || f.alpha !== undefined) && !f.compare) throw new UsageError('--threshold and --alpha go with --compare');
    const threshold = f.threshold ? parseThreshold(f.threshold as string) : 0.05;
    const baseline = f.compare ? readBaseline(f.compare as string) : null; // read first: a bad path fails before a long run
    if (baseline && baseline.mode !== (f.counts ? 'counts' : 'time'))
      throw new UsageError(
        `--compare: ${f.compare} holds ${baseline.mode === 'counts' ? 'instruction counts (add --counts)' : 'timings (drop --counts)'}`,
      );
    if (baseline?.mode === 'time' && (baseline.clock ?? 'wall') !== ((f.clock as string) ?? 'wall'))
      throw new UsageError(
        `--compare: the baseline was timed on the ${baseline.clock ?? 'wall'} clock, this run on the ${(f.clock as string) ?? 'wall'} clock (--clock)`,
      );
    const log = f.json ? undefined : (s: string) => process.stderr.write(`${s}\n`);
    const result = await bench({
      counts: !!f.counts,
      quick: !!f.quick,
      only: f.only ? (f.only as string).split(',').filter(Boolean) : null,
      reps: f.reps as number | undefined,
      roofline: !f['no-roofline'],
      clock: f.clock as 'wall' | 'cpu' | undefined,
      model: f.model
        ? {
            file: f.model as string,
            input: f.input ? parseShape(f.input as string) : undefined,
            mode: (f.mode as 'infer' | 'train' | undefined) ?? 'infer',
          }
        : undefined,
      buildDir: f['build-dir'] as string | undefined,
      log,
    });
    if (f.save) writeFileSync(f.save as string, JSON.stringify(result, null, 2) + '\n');
    const comparison = baseline ? compare(baseline, result, { threshold, alpha: f.alpha as number | undefined }) : null;
    const format = f.markdown ? 'markdown' : 'text';
    if (f.json) console.log(JSON.stringify(comparison ? { result, comparison } : result));
    else {
      console.log(formatResult(result, format));
      if (comparison) console.log(`\n${formatComparison(comparison, format)}`);
      if (f.save) console.log(`\nsaved ${f.save}`);
    }
    const failed = result.mode === 'time' && result.workloads.some(isError);
    return comparison?.regressions || failed ? 1 : 0;
  },
};
