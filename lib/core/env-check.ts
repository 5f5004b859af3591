// The NNLAB_* environment variables nnlab reads, and what each accepts. They are checked once,
// before the addon loads: a typo such as NNLAB_THREADS=four used to be ignored without a word,
// and a run then used another thread count than the user asked for.
import { ArgumentError } from './errors.js';

type Check = (v: string) => boolean;

const nonNegativeInt: Check = (v) => /^\d+$/.test(v) && Number.isSafeInteger(Number(v));
const positiveInt: Check = (v) => nonNegativeInt(v) && Number(v) > 0;
const flag: Check = (v) => v === '0' || v === '1';
const oneOf =
  (...xs: string[]): Check =>
  (v) =>
    xs.includes(v);
const nonEmpty: Check = (v) => v.trim() !== '';

// Data: one row per variable, so the rows look alike.
/** Variable -> [check, what it accepts]. Paths only need to be non-empty here; their readers say when they are missing. */
export const NNLAB_ENV: Record<string, [Check, string]> = {
  NNLAB_THREADS: [positiveInt, 'a positive integer (threads)'],
  NNLAB_SPIN_US: [nonNegativeInt, 'a non-negative integer (microseconds)'],
  NNLAB_CPU_ARENA: [flag, '0 or 1'],
  NNLAB_HUGE_PAGES: [flag, '0 or 1'],
  NNLAB_CPU_CACHE_MB: [nonNegativeInt, 'a non-negative integer (MiB)'],
  NNLAB_CONV_COLS: [positiveInt, 'a positive integer'],
  NNLAB_GEMM_KERNEL: [oneOf('generic', 'auto'), "'generic' or 'auto'"],
  NNLAB_DEVICE: [oneOf('auto', 'cpu', 'cuda'), 'auto, cpu or cuda'],
  NNLAB_DISABLE_AVX2: [flag, '0 or 1'],
  NNLAB_DISABLE_AVX512: [flag, '0 or 1'],
  NNLAB_NO_WINOGRAD: [flag, '0 or 1'],
  NNLAB_NO_BWW3X3: [flag, '0 or 1'],
  NNLAB_NO_ROW_TILES: [flag, '0 or 1'],
  NNLAB_NO_BWI_PAIRS: [flag, '0 or 1'],
  NNLAB_NO_CONV_POOL_KERNEL: [flag, '0 or 1'],
  NNLAB_NO_FUSED_CONV_POOL: [flag, '0 or 1'],
  // The names are the native table's (nnlab devices --json lists them); the addon refuses an unknown one.
  NNLAB_CONV_ALGO: [nonEmpty, 'a convolution algorithm name'],
  NNLAB_ADDON: [nonEmpty, 'the path of an nnlab.node build'],
  NNLAB_BINARY: [oneOf('auto', 'cpu', 'cuda'), 'auto, cpu or cuda (which prebuilt binary)'],
  NNLAB_EMULATE_DL_FIND_OBJECT: [flag, '0 or 1'],
  // The CUDA simulator build (docs/cuda.md): a GPU's grid sizes, and the simulated device's size.
  NNLAB_SIM_MAX_BLOCKS: [positiveInt, 'a positive integer (blocks)'],
  NNLAB_SIM_DEVICE_BYTES: [positiveInt, 'a positive integer (bytes)'],
  NNLAB_DATA_DIR: [nonEmpty, 'an IDX data folder'],
  NNLAB_FASHION_DIR: [nonEmpty, 'an IDX data folder'],
  NNLAB_CACHE_DIR: [nonEmpty, 'a folder'],
};

/** Throws an ArgumentError naming every NNLAB_* variable whose value is not one its reader accepts. */
export function checkNnlabEnv(env: NodeJS.ProcessEnv = process.env): void {
  const bad = Object.entries(NNLAB_ENV)
    // An empty value is how shells and test helpers unset a variable: it means the default.
    .filter(([name, [ok]]) => env[name] !== undefined && env[name] !== '' && !ok(env[name]!))
    .map(([name, [, what]]) => `${name}=${JSON.stringify(env[name])} (expected ${what})`);
  if (bad.length) throw new ArgumentError(`bad environment: ${bad.join('; ')}`);
}
