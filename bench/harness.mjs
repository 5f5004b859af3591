// The common result format of the benchmark suite, shared by bench/run.mjs (the driver) and the
// per-workload scripts that plug into it. bench/README.md describes the contract; in short:
//
//   a workload script bench/<name>.mjs exports  workloads({ quick }) -> Workload[]
//   and, run as  node bench/<name>.mjs --workload <id> [--quick],  measures nnlab's side of that
//   one workload in its own process and prints one Result as the last line of stdout.
//
// Every side of every workload (nnlab, each peer, each thread count of a peer) is a separate child
// process, so its peak RSS is the peak of that workload alone.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The measuring and counting parts are the package's (lib/bench, run from dist/: `nnlab bench`
// uses the same); this file keeps what only the peer comparison needs.
import { measureSteps, median, peakRssMb } from '../dist/bench/index.js';

export { convFlops, linearFlops, median, peakRssMb, perImageFlops } from '../dist/bench/index.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const PYTHON = '/usr/bin/python3'; // Debian's, with python3-torch (the pyenv python3 on PATH has no torch)

/** True when the module with this import.meta.url is the script node was started with. */
export const isMain = (metaUrl) => !!process.argv[1] && fileURLToPath(metaUrl) === resolve(process.argv[1]);

/** Prints a Result (the last stdout line is what the driver reads), adding this process's peak RSS. */
export function emit(result) {
  process.stdout.write(`\n${JSON.stringify({ ...result, peak_rss_mb: result.peak_rss_mb ?? peakRssMb() })}\n`);
}

/** Value of `--name V` in argv, or dflt. */
export function flag(name, dflt, argv = process.argv) {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
}

/**
 * The child-process side of a workload script: `--workload ID [--quick]` runs measure(id, opts)
 * and emits its Result (a thrown error becomes { error }, exit code 1).
 */
export async function serve(metaUrl, measure) {
  if (!isMain(metaUrl)) return;
  const id = flag('workload');
  if (!id) {
    console.error(`usage: node ${process.argv[1]} --workload ID [--quick]   (or run them all: node bench/run.mjs --only ID)`);
    process.exit(2);
  }
  try {
    emit(await measure(id, { quick: process.argv.includes('--quick') }));
  } catch (e) {
    emit({ error: `${e?.name ?? 'Error'}: ${e?.message ?? e}` });
    process.exitCode = 1;
  }
}

/**
 * The environment of every peer: the OpenBLAS presets some machines set halve its speed, so they go
 * (OpenBLAS then picks its kernels from the CPU: SkylakeX, AVX-512, on the 2-core hosts here).
 * `extra` is applied afterwards, so a run can ask for a preset back (TORCH_HASWELL below).
 */
export function peerEnv(extra = {}) {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return { ...env, ...extra };
}

/** The machine's own preset (OPENBLAS_CORETYPE=Haswell: AVX2 kernels), for the peer's second way. */
export const TORCH_HASWELL = { OPENBLAS_CORETYPE: 'Haswell' };

/**
 * Thread counts of the PyTorch peers: torch defaults to 1 here, so 1 and 2 (the driver keeps the better); --quick: 1.
 * torch.set_num_threads bounds torch's own (OpenMP) ops only: Debian's OpenBLAS, which runs torch.mm and the
 * linear layers, still uses every core (torch.mm 1024^3 at set_num_threads(1): 144-151 GFLOP/s here, and 75-77
 * with OPENBLAS_NUM_THREADS=1). So a '1T' peer is single-threaded ops around all-core GEMMs, which is what a
 * PyTorch user gets from set_num_threads(1), and the faster of the two is PyTorch at its best.
 */
export const torchThreads = (quick) => (quick ? [1] : [1, 2]);

/**
 * A PyTorch peer (bench/peers/<script>) at each of torchThreads(quick) with the OpenBLAS presets
 * unset, and (full runs only) once more at 1 thread under the machine's OPENBLAS_CORETYPE=Haswell
 * preset: the peer is measured both ways, the best run kept and every run listed in the JSON.
 */
export function torchPeer(script, args, { quick = false, name = 'PyTorch' } = {}) {
  const run = (label, t, env) => ({ label, cmd: PYTHON, args: [`${ROOT}bench/peers/${script}`, ...args, '--threads', String(t)], env });
  return {
    name,
    runs: [...torchThreads(quick).map((t) => run(`${t}T`, t, {})), ...(quick ? [] : [run('1T Haswell', 1, TORCH_HASWELL)])],
  };
}

/** A TensorFlow.js peer (bench/tfjs.mjs) on the cpu or wasm backend. */
export function tfjsPeer(backend, id, quick) {
  return {
    name: `TF.js ${backend}`,
    runs: [
      {
        label: backend,
        cmd: process.execPath,
        args: [`${ROOT}bench/tfjs.mjs`, '--backend', backend, '--workload', id, ...(quick ? ['--quick'] : [])],
      },
    ],
  };
}

/** Median wall time in ms of fn() over reps calls after warmup calls (lib/bench's measureSteps, one call per repetition). */
export const medianMs = (fn, reps, warmup = 2) => median(measureSteps(fn, { reps, warmup, minRepMs: 0 }).samples);
