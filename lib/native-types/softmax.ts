// Typed surface of native/binding/ops_softmax.cpp.
import type { NativeTensor } from './core.js';

export interface SoftmaxOps {
  /** Present so the interface is never empty; the family's functions follow. */
  readonly __softmax?: NativeTensor;
}
