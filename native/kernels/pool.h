// Window math of 2-D pooling shared by the CPU backend and the CUDA kernels (PyTorch's
// conventions, ceil_mode = false).
#pragma once
#include <cstdint>

#include "hd.h"

namespace nn {

// Output extent of a pooling sweep: floor((in + 2p - k)/s) + 1, or <= 0 when it does not fit.
NN_HD int64_t pool_out_size(int64_t in, int64_t k, int64_t stride, int64_t pad) {
  int64_t span = in + 2 * pad - k;
  return span < 0 ? 0 : span / stride + 1;
}

// Window of output position o along one axis. [*start, *end) is clipped to the input; *padded_len
// is the window length clipped to the padded input [−pad, in + pad), which is the avg-pool
// divisor when count_include_pad is set (PyTorch counts the padding but not the part of a
// window that hangs past it).
NN_HD void pool_window(int64_t o, int64_t in, int64_t k, int64_t stride, int64_t pad, int64_t* start, int64_t* end,
                       int64_t* padded_len) {
  int64_t s = o * stride - pad;
  int64_t e = s + k;
  if (e > in + pad) e = in + pad;
  *padded_len = e - s;
  if (s < 0) s = 0;
  if (e > in) e = in;
  *start = s;
  *end = e;
}

// Max-pool comparison: a later element replaces the running max only when strictly greater
// (so the first maximum wins ties) or NaN (NaN propagates, as in PyTorch).
NN_HD bool maxpool_takes(float v, float best) { return v > best || v != v; }

// Adaptive pooling bin i of `out` over an axis of `in`: [floor(i*in/out), ceil((i+1)*in/out)).
NN_HD int64_t adaptive_start(int64_t i, int64_t in, int64_t out) { return (i * in) / out; }
NN_HD int64_t adaptive_end(int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; }

}  // namespace nn
