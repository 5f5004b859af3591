// Typed surface of native/binding/ops_indexing.cpp.
import type { NativeTensor } from './core.js';

export interface IndexingOps {
  /** Present so the interface is never empty; the family's functions follow. */
  readonly __indexing?: NativeTensor;
}
