// Typed surface of native/binding/ops_batchnorm.cpp.
import type { NativeTensor } from './core.js';

export interface BatchnormOps {
  /** Present so the interface is never empty; the family's functions follow. */
  readonly __batchnorm?: NativeTensor;
}
