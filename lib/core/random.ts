// Seeded random streams. A RandomGenerator is a Philox key (the seed) plus a counter of the 128-bit
// blocks already used: each fill consumes philoxBlocks(n) blocks, so the sequence of fills is a
// pure function of the seed on every backend, and the counter can be checkpointed and resumed.
import { native } from './native.js';

export interface GeneratorState {
  seed: string; // decimal, so 64-bit seeds survive JSON
  offset: string;
}

export class RandomGenerator {
  private seedValue: bigint;
  private offsetValue: bigint;

  constructor(seed: number | bigint = 0) {
    this.seedValue = BigInt.asUintN(64, BigInt(seed));
    this.offsetValue = 0n;
  }

  manualSeed(seed: number | bigint): this {
    this.seedValue = BigInt.asUintN(64, BigInt(seed));
    this.offsetValue = 0n;
    return this;
  }

  get seed(): bigint {
    return this.seedValue;
  }

  /** Reserves the blocks for n values and returns [seed, offset] for the native fill. */
  next(n: number): [bigint, bigint] {
    const at = this.offsetValue;
    this.offsetValue += BigInt(native.philoxBlocks(n));
    return [this.seedValue, at];
  }

  /** An independent child stream, derived deterministically (per-worker or per-member seeds). */
  fork(): RandomGenerator {
    const [s, o] = this.next(4);
    return new RandomGenerator(BigInt.asUintN(64, s * 0x9e3779b97f4a7c15n + o + 1n));
  }

  /** A JS float in [0, 1) drawn from the stream (for host-side decisions such as augmentation). */
  uniform(): number {
    const [s, o] = this.next(1);
    const t = native.rand('uniform', [1], s, o, 0, 1, 'cpu');
    const v = (native.toTypedArray(t) as Float32Array)[0];
    t.dispose();
    return v;
  }

  getState(): GeneratorState {
    return { seed: this.seedValue.toString(), offset: this.offsetValue.toString() };
  }

  setState(state: GeneratorState): void {
    this.seedValue = BigInt(state.seed);
    this.offsetValue = BigInt(state.offset);
  }
}

/** The generator used when an op is not given one (torch.manual_seed's counterpart). */
export const defaultGenerator = new RandomGenerator(0);

export function manualSeed(seed: number | bigint): void {
  defaultGenerator.manualSeed(seed);
}

/** The epoch-th seeded permutation of [0, n): a pure function of (seed, epoch), so a resumed run
 * sees the same order as an uninterrupted one. Each epoch owns philoxBlocks(n) blocks of the stream. */
export function epochPermutation(n: number, seed: number | bigint, epoch: number): Int32Array {
  const p = native.randPermutation(n, seed, epoch * native.philoxBlocks(n), 'cpu');
  try {
    return native.toTypedArray(p) as Int32Array;
  } finally {
    p.dispose();
  }
}
