// Argument checks shared by the convolution entry points (ops_conv.cpp) and the fused
// convolution + pooling ones (ops_conv_pool.cpp).
#pragma once
#include "../backend.h"
#include "args.h"

namespace nn::binding {

struct ConvParams {
  int64_t sh, sw, ph, pw, dh, dw, groups;
};

// stride, padding, dilation and groups start at argument i0, in that order.
ConvParams read_params(const Args& a, size_t i0);

// Checks an input shape against a weight shape and the parameters; computes the output size.
Conv2dArgs conv_args(const char* op, const char* xname, const Shape& xs, const char* wname, const Shape& ws,
                     const ConvParams& p);

}  // namespace nn::binding
