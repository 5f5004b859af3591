// Typed surface of native/binding/ops_elementwise.cpp.
import type { NativeTensor } from './core.js';

export interface ElementwiseOps {
  /** Present so the interface is never empty; the family's functions follow. */
  readonly __elementwise?: NativeTensor;
}
