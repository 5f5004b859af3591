// Typed surface of native/binding/ops_pool.cpp.
import type { NativeTensor } from './core.js';

export interface PoolOps {
  /** Present so the interface is never empty; the family's functions follow. */
  readonly __pool?: NativeTensor;
}
