#include "conv_pool.h"

#include <algorithm>

#include "tensor.h"
#include "thread_pool.h"

namespace nn {
namespace {

// Images per block: the block's convolution output should fit in about 1 MB of cache per thread
// (L2 is 1-2 MB on current x86 cores), in whole rounds of one image per thread. A GPU gains
// nothing from blocks, so it takes the batch at once.
int64_t block_images(const Backend& b, const Conv2dArgs& c) {
  if (b.device() != Device::CPU) return c.n;
  const int64_t threads = num_threads();
  const int64_t per_image = c.k * c.oh * c.ow * static_cast<int64_t>(sizeof(float));
  int64_t nb = std::max<int64_t>(1, (threads * (int64_t(1) << 20)) / std::max<int64_t>(per_image, 1));
  if (nb > threads) nb -= nb % threads;
  return std::min(nb, c.n);
}

// The same arguments for images [i, i + nb).
Conv2dArgs conv_block(Conv2dArgs c, int64_t nb) {
  c.n = nb;
  return c;
}
Pool2dArgs pool_block(Pool2dArgs p, int64_t nb) {
  p.n = nb;
  return p;
}

// acc += part, elementwise over n floats.
void accumulate(Backend& b, float* acc, const float* part, int64_t n) {
  BroadcastArgs a{};
  a.ndim = 1;
  a.out_shape[0] = n;
  a.a_strides[0] = 1;
  a.b_strides[0] = 1;
  b.binary(BinaryOp::Add, a, acc, part, acc);
}

}  // namespace

void conv2d_maxpool_forward(Backend& b, const Conv2dArgs& conv, const Pool2dArgs& pool, const float* x, const float* w,
                            const float* bias, float* y, int32_t* indices, bool relu) {
  if (b.conv2d_maxpool_forward(conv, pool, x, w, bias, y, indices, relu)) return;
  if (!indices && b.conv2d_maxpool_forward_values(conv, pool, x, w, bias, y, relu)) return;
  const int64_t nb = block_images(b, conv);
  const int64_t x_image = conv.c * conv.h * conv.w, y_image = pool.c * pool.oh * pool.ow;
  Tensor block = empty(b, {nb, conv.k, conv.oh, conv.ow}, DType::F32);
  Tensor block_indices;  // the indices nobody asked for, where the backend cannot pool without them
  for (int64_t i = 0; i < conv.n; i += nb) {
    const int64_t m = std::min(nb, conv.n - i);
    const Pool2dArgs pb = pool_block(pool, m);
    float* yb = y + i * y_image;
    b.conv2d_forward(conv_block(conv, m), x + i * x_image, w, bias, block.f32());
    if (!indices && b.maxpool2d_forward_values(pb, block.f32(), yb, relu)) continue;
    if (!indices && !block_indices.storage) block_indices = empty(b, {nb * y_image}, DType::I32);
    b.maxpool2d_forward(pb, block.f32(), yb, indices ? indices + i * y_image : block_indices.i32());
    if (relu) b.unary(UnaryOp::Relu, yb, yb, m * y_image, 0.f, 0.f);
  }
}

bool conv2d_maxpool_backward_own(Backend& b, const Conv2dArgs& conv, const Pool2dArgs& pool, const float* dy,
                                 const int32_t* indices, const float* x, float* dx, float* dw, float* db) {
  return !dx && b.conv2d_maxpool_backward_params(conv, pool, dy, nullptr, indices, x, dw, db);
}

void conv2d_maxpool_backward(Backend& b, const Conv2dArgs& conv, const Pool2dArgs& pool, const float* dy,
                             const int32_t* indices, const float* x, const float* w, float* dx, float* dw, float* db,
                             bool own_tried) {
  if (!own_tried && conv2d_maxpool_backward_own(b, conv, pool, dy, indices, x, dx, dw, db)) return;
  if (dx && b.conv2d_maxpool_backward_all(conv, pool, dy, indices, x, w, dx, dw, db)) return;
  const int64_t nb = block_images(b, conv);
  const int64_t x_image = conv.c * conv.h * conv.w, y_image = pool.c * pool.oh * pool.ow;
  const int64_t wsize = conv.k * (conv.c / conv.groups) * conv.r * conv.s;
  Tensor block = empty(b, {nb, conv.k, conv.oh, conv.ow}, DType::F32);  // the convolution's output gradient
  Tensor dw_part = empty(b, {wsize}, DType::F32), db_part = empty(b, {conv.k}, DType::F32);
  for (int64_t i = 0; i < conv.n; i += nb) {
    const int64_t m = std::min(nb, conv.n - i);
    const Conv2dArgs c = conv_block(conv, m);
    b.maxpool2d_backward(pool_block(pool, m), dy + i * y_image, indices + i * y_image, block.f32());
    if (dx) b.conv2d_backward_input(c, block.f32(), w, dx + i * x_image);
    const bool first = i == 0;
    b.conv2d_backward_weight(c, x + i * x_image, block.f32(), first ? dw : dw_part.f32());
    if (!first) accumulate(b, dw, dw_part.f32(), wsize);
    if (db) {
      b.conv2d_backward_bias(c, block.f32(), first ? db : db_part.f32());
      if (!first) accumulate(b, db, db_part.f32(), conv.k);
    }
  }
}

}  // namespace nn
