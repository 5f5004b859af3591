// Typed surface of native/binding/ops_image.cpp.
import type { NativeTensor } from './core.js';

export interface ImageOps {
  /** Present so the interface is never empty; the family's functions follow. */
  readonly __image?: NativeTensor;
}
