// Typed surface of native/binding/ops_knn.cpp.
import type { NativeTensor } from './core.js';

export interface KnnOps {
  /** Present so the interface is never empty; the family's functions follow. */
  readonly __knn?: NativeTensor;
}
