// Index math of 2-D convolution shared by the CPU backend and the CUDA kernels.
#pragma once
#include <cstdint>

#include "hd.h"

namespace nn {

// Output extent of a strided, padded, dilated window sweep: floor((in + 2p - d(k-1) - 1)/s) + 1.
// May be <= 0 when the (dilated) kernel does not fit: callers reject that.
NN_HD int64_t conv_out_size(int64_t in, int64_t k, int64_t stride, int64_t pad, int64_t dil) {
  int64_t span = in + 2 * pad - dil * (k - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

// For kernel tap `tap` along one axis, output positions o in [*lo, *hi) read an input position
// i = o*stride - pad + tap*dil inside [0, in); the others read padding. Computed in closed form
// so im2col/col2im inner loops carry no bounds tests.
NN_HD void conv_valid_range(int64_t in, int64_t out, int64_t stride, int64_t pad, int64_t dil, int64_t tap, int64_t* lo,
                            int64_t* hi) {
  int64_t off = tap * dil - pad;  // i = o*stride + off
  // smallest o with o*stride + off >= 0
  int64_t l = off >= 0 ? 0 : (-off + stride - 1) / stride;
  // smallest o with o*stride + off >= in
  int64_t h = in - off <= 0 ? 0 : (in - off + stride - 1) / stride;
  if (l > out) l = out;
  if (h > out) h = out;
  if (h < l) h = l;
  *lo = l;
  *hi = h;
}

}  // namespace nn
