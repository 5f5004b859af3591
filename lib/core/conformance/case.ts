// One conformance case: an op of the native backend run on a device and on the CPU from the
// same seeded inputs, its outputs compared with a per-case tolerance.
//
// The case table (cases-*.ts) is shared by the vitest conformance test (test/ops/conformance.test.ts)
// and by `nnlab selftest` (lib/selftest), so what CI checks on the simulator is exactly what a user
// runs on their GPU. It lives in lib/core because it drives the addon directly: only the engine
// may (the import rules of .dependency-cruiser.cjs).
import { mulberry32 } from '../mulberry32.js';
import { native } from '../native.js';
import type { DeviceName, NativeTensor } from '../native.js';

/**
 * How outputs must agree with the CPU's:
 * - 'exact': the same bits (integers, indices, masks, copies, RNG streams whose kernels are
 *   contraction-proof);
 * - a number: the largest normalised mean-squared error sum((a-b)^2)/sum(b^2) allowed, as
 *   ggml's backend tests compare, for float math where FMA contraction, summation order or the
 *   device math library change the last bits.
 */
export type Tolerance = 'exact' | number;

export interface ConformanceCase {
  /** Unique, e.g. 'conv2d/backward-weight groups=2'. */
  name: string;
  /** The native ops under test (the addon functions' names). */
  ops: string[];
  /** True for a gradient (backward) op. */
  grad: boolean;
  tol: Tolerance;
  /** Runs the op on `dev` through `t`, returning the outputs to compare (read back to the host). */
  run(t: Session): Float32Array[];
}

/** Seeded data (mulberry32: independent of the RNG under test). */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = mulberry32(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Creates inputs on one device and frees everything it made when the case ends. */
export class Session {
  private made: NativeTensor[] = [];
  constructor(readonly device: DeviceName) {}

  keep<T extends NativeTensor | null>(t: T): T {
    if (t) this.made.push(t);
    return t;
  }
  /** A float32 tensor of seeded values in [lo, hi). */
  rand(shape: number[], seed: number, lo = -1, hi = 1): NativeTensor {
    return this.f32(randomArray(numel(shape), seed, lo, hi), shape);
  }
  f32(data: Float32Array | number[], shape: number[]): NativeTensor {
    const a = data instanceof Float32Array ? data : Float32Array.from(data);
    return this.keep(native.fromTypedArray(a, shape, this.device));
  }
  i32(data: number[] | Int32Array, shape: number[]): NativeTensor {
    return this.keep(native.fromTypedArray(Int32Array.from(data), shape, this.device));
  }
  /** Integers in [0, hi) from a seed. */
  ints(shape: number[], seed: number, hi: number): NativeTensor {
    const r = randomArray(numel(shape), seed, 0, 1);
    return this.i32(
      Array.from(r, (v) => Math.min(hi - 1, Math.floor(v * hi))),
      shape,
    );
  }
  /** Reads outputs back as float32 (integer outputs converted exactly: they are small). */
  read(...ts: (NativeTensor | null)[]): Float32Array[] {
    const out: Float32Array[] = [];
    for (const t of ts) {
      if (!t) continue;
      this.keep(t);
      const v = native.toTypedArray(t);
      out.push(v instanceof Float32Array ? v : Float32Array.from(v));
    }
    return out;
  }
  dispose(): void {
    for (const t of this.made) if (!t.disposed) t.dispose();
    this.made = [];
  }
}
