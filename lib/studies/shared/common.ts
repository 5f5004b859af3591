// What every study shares: the options the command line passes, the run's setup (folder,
// device, seeds, data) and the progress log on stderr.
import { manualSeed, resolveDevice } from '../../index.js';
import type { Device } from '../../index.js';
import { ArgumentError } from '../../core/errors.js';
import { loadMnist, Mnist } from '../../data/mnist.js';
import { RunFolder } from '../../report/run-folder.js';

export interface BaseConfig {
  preset: 'quick' | 'full';
  seed: number;
  device: 'auto' | 'cpu' | 'cuda';
  /** Run folder; default runs/<study>/<timestamp>. */
  out?: string;
  /** Replace the nnlab run already in `out` (otherwise a non-empty `out` is refused). */
  force?: boolean;
  /** First-N subsets of the official splits (quick presets); undefined = all 60k / 10k. */
  trainLimit?: number;
  testLimit?: number;
}

/**
 * A quick preset: the full one on the first `trainLimit` / `testLimit` images, with `changes` on top
 * (the keys keep the order a literal `{ ...full, preset, trainLimit, testLimit, ...changes }` gives them).
 */
export function quickPreset<C extends BaseConfig>(full: C, trainLimit: number, testLimit: number, changes: Partial<C> = {}): C {
  return { ...full, preset: 'quick', trainLimit, testLimit, ...changes };
}

/** What every full preset starts with: seed 0, on the best device found. */
export const FULL_PRESET = { preset: 'full', seed: 0, device: 'auto' } as const;

export interface RunHooks {
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

export interface RunContext {
  folder: RunFolder;
  device: Device;
  mnist: Mnist;
  log: (line: string) => void;
}

export const stderrLog = (line: string) => process.stderr.write(line + '\n');

export function checkLimits(c: BaseConfig): void {
  for (const [name, v] of [
    ['trainLimit', c.trainLimit],
    ['testLimit', c.testLimit],
  ] as const)
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new ArgumentError(`${name} must be a positive integer, got ${v}`);
  if (!Number.isInteger(c.seed) || c.seed < 0) throw new ArgumentError(`seed must be a non-negative integer, got ${c.seed}`);
}

/** Creates the run folder, resolves the device, seeds the default generator and loads MNIST. */
export function startRun(study: string, c: BaseConfig, hooks: RunHooks, extraConfig: Record<string, unknown> = {}): RunContext {
  checkLimits(c);
  const log = hooks.log ?? stderrLog;
  const folder = new RunFolder(study, c.out, { force: c.force });
  const device = resolveDevice(c.device, log);
  manualSeed(c.seed);
  log(
    `nnlab run ${study} (${c.preset} preset): loading MNIST${c.trainLimit ? ` (first ${c.trainLimit} train images)` : ''}${c.testLimit ? ` (first ${c.testLimit} test images)` : ''}`,
  );
  const mnist = loadMnist({ trainLimit: c.trainLimit, testLimit: c.testLimit, device });
  folder.writeConfig(
    {
      ...c,
      ...extraConfig,
      out: folder.dir,
      data: { dataset: 'mnist', source: mnist.source, train_images: mnist.train.n, test_images: mnist.test.n, normalization: mnist.stats },
    },
    device,
  );
  return { folder, device, mnist, log };
}
