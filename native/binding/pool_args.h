// Argument checks shared by the pooling entry points (ops_pool.cpp) and the fused convolution +
// pooling ones (ops_conv_pool.cpp).
#pragma once
#include "../backend.h"
#include "../core/tensor.h"
#include "args.h"

namespace nn::binding {

// '<name>' must be NCHW with non-empty planes of at most 2^31-1 elements (int32 indices).
void require_nchw(const char* op, const char* name, const Shape& s);

// kernelH, kernelW, strideH, strideW, padH, padW from argument i0, checked against input xs.
Pool2dArgs pool_args(const Args& a, size_t i0, const char* xname, const Shape& xs);

// Max-pool indices from the caller must lie inside their plane of an input of shape xs.
void check_pool_indices(const Args& a, const Tensor& idx, const Pool2dArgs& p, const Shape& xs);

}  // namespace nn::binding
