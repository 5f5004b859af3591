// Typed surface of native/binding/ops_indexing.cpp. Every index is range-checked
// (IndexOutOfRangeError naming the index, its position and the valid range).
import type { NativeTensor } from './core.js';

export interface IndexingOps {
  /** x (float32 or int32) with `axis` replaced by idx (int32, 1-d): out[.., j, ..] = x[.., idx[j], ..]. */
  indexSelect(x: NativeTensor, axis: number, idx: NativeTensor): NativeTensor;
  /**
   * A NEW tensor equal to target with out[.., idx[j], ..] += src[.., j, ..] (duplicates add up);
   * target is left unchanged. src is target's shape with `axis` of size idx.length.
   */
  indexAdd(target: NativeTensor, axis: number, idx: NativeTensor, src: NativeTensor): NativeTensor;
  /** torch.gather: out has idx's shape, out[.., j, ..] = x[.., idx[.., j, ..], ..]; idx matches x off `axis`. */
  gather(x: NativeTensor, axis: number, idx: NativeTensor): NativeTensor;
  /** A NEW tensor: target with out[.., idx[.., j, ..], ..] += src[.., j, ..] (torch.scatter_add); target unchanged. */
  scatterAdd(target: NativeTensor, axis: number, idx: NativeTensor, src: NativeTensor): NativeTensor;
  /** float32 labels.shape + [classes] with a 1 at each label. */
  oneHot(labels: NativeTensor, classes: number): NativeTensor;
}
