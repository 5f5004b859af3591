// Typed surface of native/binding/ops_conv.cpp.
import type { NativeTensor } from './core.js';

export interface ConvOps {
  /** Present so the interface is never empty; the family's functions follow. */
  readonly __conv?: NativeTensor;
}
