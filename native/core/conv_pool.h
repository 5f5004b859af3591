// A convolution followed by max pooling, as one op (lib/ops conv2dMaxPool2d; the seed CNN's
// first layer). Run apart, the convolution's whole output goes to memory and comes back four
// times: pooled, pooled backward (written), read for the bias gradient and for the weight
// gradient. Conv1 of a batched 7-member seed CNN makes 77 MB of it per step, so those passes
// ran at memory speed (a fifth of the step). Here the convolution's output, and in backward the
// gradient that pooling scatters into it, exist only for a block of images sized to stay in the
// cores' caches. The blocks run the backend's own convolution and pooling kernels, so every
// backend has the op; on CUDA the block is the whole batch.
#pragma once
#include "../backend.h"

namespace nn {

// y, indices = maxpool2d(conv2d(x, w, bias)); pool.n/c/h/w describe the convolution's output.
// indices may be null (no gradient will be taken: they are then kept a block at a time, in cache);
// relu: y = relu(maxpool2d(...)), applied to each block while it is in cache.
void conv2d_maxpool_forward(Backend& b, const Conv2dArgs& conv, const Pool2dArgs& pool, const float* x, const float* w,
                            const float* bias, float* y, int32_t* indices, bool relu = false);

// The parameters' gradients alone (dx null) by the backend's own kernel, which checks that every
// index lies in its own pooling window: false, writing nothing, where it has no kernel for these
// shapes or an index lies elsewhere (only caller-made indices can). True means every index was
// checked, so the caller's pass over them is not needed.
bool conv2d_maxpool_backward_own(Backend& b, const Conv2dArgs& conv, const Pool2dArgs& pool, const float* dy,
                                 const int32_t* indices, const float* x, float* dx, float* dw, float* db);

// From dy (the pooled output's gradient) and the pooling indices, each inside its plane (the
// caller checks): dx (may be null: x needs no gradient), dw, and db (null without a bias).
// own_tried: conv2d_maxpool_backward_own already returned false for these arguments.
void conv2d_maxpool_backward(Backend& b, const Conv2dArgs& conv, const Pool2dArgs& pool, const float* dy,
                             const int32_t* indices, const float* x, const float* w, float* dx, float* dw, float* db,
                             bool own_tried = false);

}  // namespace nn
