// Typed surface of native/binding/ops_dropout.cpp.
import type { NativeTensor } from './core.js';

export interface DropoutOps {
  /**
   * [y, mask uint8]: element i is kept (mask 1, y = x / (1 - p)) when Philox uniform i of
   * (seed, offset) is >= p, the same stream as rand('uniform'); p in [0, 1). The caller advances its
   * generator offset by philoxBlocks(numel).
   */
  dropout(x: NativeTensor, p: number, seed: number | bigint, offset: number | bigint): [NativeTensor, NativeTensor];
  /** dx = dy * mask / (1 - p). */
  dropoutBackward(dy: NativeTensor, mask: NativeTensor, p: number): NativeTensor;
}
