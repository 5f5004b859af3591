// Entry points of batch normalisation over axis 1 of [N, C, ...] inputs (BatchNorm1d on [N, C]
// or [N, C, L], BatchNorm2d on [N, C, H, W]). gamma and beta may be null (affine = false): they
// then act as ones and zeros.
#include <cmath>
#include <optional>

#include "args.h"
#include "js_functions.h"
#include "errors.h"

namespace nn::binding {
namespace js_batchnorm {

BatchNormArgs bn_args(const char* op, const Tensor& x) {
  if (x.dim() < 2)
    fail(ErrorCode::Shape, op, ": 'x' must have at least 2 dimensions [N, C, ...], got shape ", shape_str(x.shape));
  BatchNormArgs b{};
  b.n = x.shape[0];
  b.c = x.shape[1];
  b.hw = 1;
  for (int64_t d = 2; d < x.dim(); ++d) b.hw *= x.shape[d];
  return b;
}

void require_per_channel(const char* op, const char* name, const Tensor* t, const Tensor& x) {
  if (t && t->shape != Shape{x.shape[1]})
    fail(ErrorCode::Shape, op, ": '", name, "' must have shape [", x.shape[1], "] (one value per channel of x ",
         shape_str(x.shape), "), got ", shape_str(t->shape));
}

// gamma or beta, or a filled stand-in when the caller passed null.
struct Param {
  std::optional<Tensor> own;
  const float* ptr;
};
Param param_or(const Tensor* t, const Tensor& x, float fill) {
  if (t) return {std::nullopt, t->f32()};
  Param p{empty(x.backend(), {x.shape[1]}, DType::F32), nullptr};
  x.backend().fill_f32(p.own->f32(), x.shape[1], fill);
  p.ptr = p.own->f32();
  return p;
}

float read_eps(const Args& a, size_t i) {
  double eps = a.number(i, "eps");
  if (!(eps > 0) || !std::isfinite(eps))
    fail(ErrorCode::Argument, a.op, ": 'eps' must be a positive finite number, got ", eps);
  return static_cast<float>(eps);
}

// batchNormTrain(x, gamma|null, beta|null, runningMean|null, runningVar|null, momentum, eps)
//   -> [y, saveMean, saveInvstd]; the running buffers are updated in place.
Napi::Value batch_norm_train(const Napi::CallbackInfo& info) {
  Args a{info, "batchNormTrain"};
  const Tensor& x = a.tensor(0, "x", DType::F32);
  const Tensor* gamma = a.optional_tensor(1, "gamma", DType::F32);
  const Tensor* beta = a.optional_tensor(2, "beta", DType::F32);
  const Tensor* rm = a.optional_tensor(3, "runningMean", DType::F32);
  const Tensor* rv = a.optional_tensor(4, "runningVar", DType::F32);
  double momentum = a.number(5, "momentum");
  if (!(momentum >= 0 && momentum <= 1))
    fail(ErrorCode::Argument, a.op, ": 'momentum' must be in [0, 1], got ", momentum);
  BatchNormArgs b = bn_args(a.op, x);
  b.eps = read_eps(a, 6);
  b.momentum = static_cast<float>(momentum);
  require_same_device(a.op, {&x, gamma, beta, rm, rv});
  require_per_channel(a.op, "gamma", gamma, x);
  require_per_channel(a.op, "beta", beta, x);
  require_per_channel(a.op, "runningMean", rm, x);
  require_per_channel(a.op, "runningVar", rv, x);
  if (b.n * b.hw < 2)
    fail(ErrorCode::Shape, a.op, ": training needs more than 1 value per channel, got x ", shape_str(x.shape));
  Param g = param_or(gamma, x, 1.f), be = param_or(beta, x, 0.f);
  Tensor y = empty_like(x);
  Tensor mean = empty(x.backend(), {b.c}, DType::F32), invstd = empty(x.backend(), {b.c}, DType::F32);
  if (b.c > 0)
    x.backend().batchnorm_forward_train(b, x.f32(), g.ptr, be.ptr, y.f32(), mean.f32(), invstd.f32(),
                                        rm ? rm->f32() : nullptr, rv ? rv->f32() : nullptr);
  return wrap_all(a.env(), {y, mean, invstd});
}

// batchNormEval(x, gamma|null, beta|null, runningMean, runningVar, eps) -> y
Napi::Value batch_norm_eval(const Napi::CallbackInfo& info) {
  Args a{info, "batchNormEval"};
  const Tensor& x = a.tensor(0, "x", DType::F32);
  const Tensor* gamma = a.optional_tensor(1, "gamma", DType::F32);
  const Tensor* beta = a.optional_tensor(2, "beta", DType::F32);
  const Tensor& rm = a.tensor(3, "runningMean", DType::F32);
  const Tensor& rv = a.tensor(4, "runningVar", DType::F32);
  BatchNormArgs b = bn_args(a.op, x);
  b.eps = read_eps(a, 5);
  require_same_device(a.op, {&x, gamma, beta, &rm, &rv});
  require_per_channel(a.op, "gamma", gamma, x);
  require_per_channel(a.op, "beta", beta, x);
  require_per_channel(a.op, "runningMean", &rm, x);
  require_per_channel(a.op, "runningVar", &rv, x);
  Param g = param_or(gamma, x, 1.f), be = param_or(beta, x, 0.f);
  Tensor y = empty_like(x);
  if (y.numel() > 0) x.backend().batchnorm_forward_eval(b, x.f32(), g.ptr, be.ptr, rm.f32(), rv.f32(), y.f32());
  return wrap(a.env(), std::move(y));
}

// batchNormBackward(x, dy, gamma|null, saveMean, saveInvstd) -> [dx, dgamma, dbeta]
// (training-mode backward: the batch statistics depend on x).
Napi::Value batch_norm_backward(const Napi::CallbackInfo& info) {
  Args a{info, "batchNormBackward"};
  const Tensor& x = a.tensor(0, "x", DType::F32);
  const Tensor& dy = a.tensor(1, "dy", DType::F32);
  const Tensor* gamma = a.optional_tensor(2, "gamma", DType::F32);
  const Tensor& mean = a.tensor(3, "saveMean", DType::F32);
  const Tensor& invstd = a.tensor(4, "saveInvstd", DType::F32);
  BatchNormArgs b = bn_args(a.op, x);
  require_same_device(a.op, {&x, &dy, gamma, &mean, &invstd});
  if (dy.shape != x.shape)
    fail(ErrorCode::Shape, a.op, ": 'dy' must have the shape of x ", shape_str(x.shape), ", got ", shape_str(dy.shape));
  require_per_channel(a.op, "gamma", gamma, x);
  require_per_channel(a.op, "saveMean", &mean, x);
  require_per_channel(a.op, "saveInvstd", &invstd, x);
  if (b.n * b.hw < 1) fail(ErrorCode::Shape, a.op, ": 'x' ", shape_str(x.shape), " has no values per channel");
  Param g = param_or(gamma, x, 1.f);
  Tensor dx = empty_like(x);
  Tensor dgamma = empty(x.backend(), {b.c}, DType::F32), dbeta = empty(x.backend(), {b.c}, DType::F32);
  if (b.c > 0)
    x.backend().batchnorm_backward(b, x.f32(), dy.f32(), g.ptr, mean.f32(), invstd.f32(), dx.f32(), dgamma.f32(),
                                   dbeta.f32());
  return wrap_all(a.env(), {dx, dgamma, dbeta});
}

}  // namespace js_batchnorm

}  // namespace nn::binding
