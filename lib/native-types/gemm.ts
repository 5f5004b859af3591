// Typed surface of native/binding/ops_gemm.cpp.
import type { NativeTensor } from './core.js';

export interface GemmOps {
  /** Present so the interface is never empty; the family's functions follow. */
  readonly __gemm?: NativeTensor;
}
