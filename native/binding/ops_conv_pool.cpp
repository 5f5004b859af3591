// Entry points of the fused convolution + max pooling (core/conv_pool.h): the convolution's output
// is made, pooled and, in backward, rebuilt from the pooled gradient a block of images at a time.
// The arguments are those of conv2d followed by those of maxPool2d, checked the same way.
#include "../core/conv_pool.h"
#include "args.h"
#include "js_functions.h"
#include "conv_args.h"
#include "errors.h"
#include "pool_args.h"

namespace nn::binding {
namespace js_conv_pool {

constexpr const char* kConvOut = "the convolution's output";

// conv2dMaxPool2d(x, w, bias|null, strideH, strideW, padH, padW, dilationH, dilationW, groups,
//                 kernelH, kernelW, poolStrideH, poolStrideW, poolPadH, poolPadW,
//                 withIndices = true, relu = false) -> [y, indices | null]
// Without indices no gradient can be taken (inference: they never reach memory); relu gives
// relu(y), applied while each block is in cache.
Napi::Value conv2d_maxpool2d(const Napi::CallbackInfo& info) {
  Args a{info, "conv2dMaxPool2d"};
  const Tensor& x = a.tensor(0, "x", DType::F32);
  const Tensor& w = a.tensor(1, "weight", DType::F32);
  const Tensor* bias = a.optional_tensor(2, "bias", DType::F32);
  require_same_device(a.op, {&x, &w, bias});
  const Conv2dArgs c = conv_args(a.op, "x", x.shape, "weight", w.shape, read_params(a, 3));
  if (bias && bias->shape != Shape{c.k})
    fail(ErrorCode::Shape, a.op, ": 'bias' must have shape [", c.k, "] (one per output channel of weight ",
         shape_str(w.shape), "), got ", shape_str(bias->shape));
  const Pool2dArgs p = pool_args(a, 10, kConvOut, {c.n, c.k, c.oh, c.ow});
  const bool with_indices = a.has(16) ? a.boolean(16, "withIndices") : true;
  const bool relu = a.has(17) ? a.boolean(17, "relu") : false;
  Tensor y = empty(x.backend(), {p.n, p.c, p.oh, p.ow}, DType::F32);
  Tensor idx = with_indices ? empty(x.backend(), {p.n, p.c, p.oh, p.ow}, DType::I32) : Tensor{};
  if (y.numel() > 0)
    conv2d_maxpool_forward(x.backend(), c, p, x.f32(), w.f32(), bias ? bias->f32() : nullptr, y.f32(),
                           with_indices ? idx.i32() : nullptr, relu);
  if (with_indices) return wrap_all(a.env(), {y, idx});
  Napi::Array out = Napi::Array::New(a.env(), 2);
  out.Set(0u, wrap(a.env(), std::move(y)));
  out.Set(1u, a.env().Null());
  return out;
}

// conv2dMaxPool2dBackward(dy, indices, x, w, withBias, inputGrad, <conv2d's 7 parameters>,
//                         <maxPool2d's 6 parameters>, reluY = null) -> [dx | null, dw, db | null]
// reluY: the forward's output when it applied relu; dy is then relu's output gradient, passed back
// through relu first (read off its output: where reluY <= 0 the gradient is zero).
Napi::Value conv2d_maxpool2d_backward(const Napi::CallbackInfo& info) {
  Args a{info, "conv2dMaxPool2dBackward"};
  const Tensor& dy = a.tensor(0, "dy", DType::F32);
  const Tensor& idx = a.tensor(1, "indices", DType::I32);
  const Tensor& x = a.tensor(2, "x", DType::F32);
  const Tensor& w = a.tensor(3, "weight", DType::F32);
  const bool with_bias = a.boolean(4, "withBias"), input_grad = a.boolean(5, "inputGrad");
  require_same_device(a.op, {&dy, &idx, &x, &w});
  const Conv2dArgs c = conv_args(a.op, "x", x.shape, "weight", w.shape, read_params(a, 6));
  const Shape conv_out{c.n, c.k, c.oh, c.ow};
  const Pool2dArgs p = pool_args(a, 13, kConvOut, conv_out);
  const Shape pooled{p.n, p.c, p.oh, p.ow};
  if (dy.shape != pooled)
    fail(ErrorCode::Shape, a.op, ": 'dy' must have the pooled shape ", shape_str(pooled), " of ", kConvOut, " ",
         shape_str(conv_out), ", got ", shape_str(dy.shape));
  if (idx.shape != dy.shape)
    fail(ErrorCode::Shape, a.op, ": 'indices' ", shape_str(idx.shape), " must have the shape of 'dy' ",
         shape_str(dy.shape));
  const Tensor* relu_y = a.has(19) ? a.optional_tensor(19, "reluY", DType::F32) : nullptr;
  if (relu_y) {
    require_same_device(a.op, {&dy, relu_y});
    if (relu_y->shape != dy.shape)
      fail(ErrorCode::Shape, a.op, ": 'reluY' ", shape_str(relu_y->shape), " must have the shape of 'dy' ",
           shape_str(dy.shape));
  }
  Backend& b = x.backend();
  Tensor dx = input_grad ? empty(b, x.shape, DType::F32) : Tensor{};
  Tensor dw = empty(b, w.shape, DType::F32);
  Tensor db = with_bias ? empty(b, {c.k}, DType::F32) : Tensor{};
  if (c.n == 0 || dy.numel() == 0) {
    // No image, or a pool with no window: every gradient is zero.
    for (Tensor* t : {&dx, &dw, &db})
      if (t->storage) b.fill_f32(t->f32(), t->numel(), 0.f);
  } else if (input_grad ||
             !b.conv2d_maxpool_backward_params(c, p, dy.f32(), relu_y ? relu_y->f32() : nullptr, idx.i32(), x.f32(),
                                               dw.f32(), with_bias ? db.f32() : nullptr)) {
    // The backend's own kernel (parameters only) takes relu's backward and checks each index
    // against its window as it reads it; the other paths get relu's gradient first, and scatter
    // through the indices, so those are checked first (a pass over all of them).
    Tensor through_relu = relu_y ? empty(b, dy.shape, DType::F32) : Tensor{};
    if (relu_y)
      b.unary_backward(UnaryOp::Relu, relu_y->f32(), relu_y->f32(), dy.f32(), through_relu.f32(), dy.numel(), 0.f, 0.f);
    check_pool_indices(a, idx, p, conv_out);
    conv2d_maxpool_backward(b, c, p, relu_y ? through_relu.f32() : dy.f32(), idx.i32(), x.f32(), w.f32(),
                            input_grad ? dx.f32() : nullptr, dw.f32(), with_bias ? db.f32() : nullptr,
                            /*own_tried=*/true);
  }
  Napi::Array out = Napi::Array::New(a.env(), 3);
  out.Set(0u, input_grad ? wrap(a.env(), std::move(dx)) : a.env().Null());
  out.Set(1u, wrap(a.env(), std::move(dw)));
  out.Set(2u, with_bias ? wrap(a.env(), std::move(db)) : a.env().Null());
  return out;
}

}  // namespace js_conv_pool

}  // namespace nn::binding
