// Device selection: 'auto' takes CUDA when this build has it and a GPU answers, otherwise the
// CPU with one logged line saying why; asking for 'cuda' where it is unavailable is an error.
import { DeviceError } from './errors.js';
import { native, nativeBinary, type BinaryChoice } from './native.js';
import type { Device } from './tensor.js';

export type DeviceRequest = 'auto' | Device;

let warned = false;

export function resolveDevice(
  req: DeviceRequest = (process.env.NNLAB_DEVICE as DeviceRequest) ?? 'auto',
  log: (s: string) => void = (s) => process.stderr.write(s + '\n'),
): Device {
  if (req !== 'auto' && req !== 'cpu' && req !== 'cuda') throw new DeviceError(`unknown device '${req}' (expected auto, cpu or cuda)`);
  if (req === 'cpu') return 'cpu';
  const cuda = native.cudaStatus();
  if (req === 'cuda') {
    if (!cuda.available) throw new DeviceError(`device 'cuda' is not available: ${cuda.reason}`);
    return 'cuda';
  }
  // The simulator build runs CUDA kernels on the CPU, thousands of times slower: a test device
  // that must be asked for by name, never an automatic choice.
  const simulated = cuda.available && cuda.name.includes('simulator');
  if (cuda.available && !simulated) return 'cuda';
  if (!warned) {
    log(
      `nnlab: using cpu (${simulated ? `cuda is the simulator build (${cuda.name}); ask for --device cuda to use it` : `cuda unavailable: ${cuda.reason}`})`,
    );
    warned = true;
  }
  return 'cpu';
}

export interface DeviceReport {
  /** isa: the SIMD kernels in use and what the CPU supports (tests comparing ISAs report it). */
  cpu: { available: true; threads: number; isa: { kernels: 'avx512' | 'avx2' | 'generic'; avx2: boolean; avx512: boolean } };
  cuda: { available: boolean; reason: string; name: string };
  /**
   * Every NNLAB_* switch of the native core as it was read (defaults included), and the CPU's
   * convolution algorithms (the names NNLAB_CONV_ALGO accepts) with how often each ran per pass.
   */
  native: {
    flags: Record<string, string>;
    convAlgorithms: { name: string; forward: number; backwardInput: number; backwardWeight: number }[];
  };
  /** The native binary loaded (prebuilt cpu or cuda, a build from source, or NNLAB_ADDON's) and why. */
  binary: BinaryChoice;
}

export function deviceReport(): DeviceReport {
  return {
    cpu: { available: true, threads: native.numThreads(), isa: native.cpuIsa() },
    cuda: native.cudaStatus(),
    native: native.nativeFlags(),
    binary: { ...nativeBinary },
  };
}

/** Threads the CPU backend's pool runs (NNLAB_THREADS or the machine's cores). */
export function numThreads(): number {
  return native.numThreads();
}

/** Sets the CPU pool's thread count (a unit of work runs with its planned threads, so that results do not depend on the executor). */
export function setNumThreads(n: number): void {
  if (!(Number.isInteger(n) && n >= 1)) throw new DeviceError(`threads must be a positive integer, got ${n}`);
  native.setNumThreads(n);
}
