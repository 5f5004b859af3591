// The CPU's conv2d_maxpool_forward_values (backend.h): where the dispatcher would run the rows
// algorithm for the convolution (the seed CNN's conv2 in inference), its tiles' output is pooled
// per image as it leaves the scratch (conv_rows.h), so it never goes to memory as planes only to
// be read back by the pooling, and no index is computed. Same tiles as conv2d_forward's, so the
// values are those of the blocks' convolution then pooling, bit for bit.
#include <cstring>

#include "../cpu_backend.h"
#include "../simd/simd.h"
#include "conv_algorithms.h"
#include "conv_rows.h"

namespace nn {

bool CpuBackend::conv2d_maxpool_forward_values(const Conv2dArgs& conv, const Pool2dArgs& pool, const float* x,
                                               const float* w, const float* bias, float* y, bool relu) {
#if NNLAB_X86_KERNELS
  if (!cpu::rows_forward_pooled_apply(conv, pool) || std::strcmp(cpu::first_conv_algorithm(0, conv), "rows") != 0)
    return false;
  cpu::rows_forward_pooled(conv, pool, x, w, bias, y, relu);
  return true;
#else
  return false;
#endif
}

}  // namespace nn
