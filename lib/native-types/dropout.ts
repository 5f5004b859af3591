// Typed surface of native/binding/ops_dropout.cpp.
import type { NativeTensor } from './core.js';

export interface DropoutOps {
  /** Present so the interface is never empty; the family's functions follow. */
  readonly __dropout?: NativeTensor;
}
