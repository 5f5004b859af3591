// Typed surface of native/binding/ops_optim.cpp.
import type { NativeTensor } from './core.js';

export interface OptimOps {
  /** Present so the interface is never empty; the family's functions follow. */
  readonly __optim?: NativeTensor;
}
