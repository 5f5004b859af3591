// Typed surface of native/binding/ops_reduce.cpp.
import type { NativeTensor } from './core.js';

export interface ReduceOps {
  /** Present so the interface is never empty; the family's functions follow. */
  readonly __reduce?: NativeTensor;
}
