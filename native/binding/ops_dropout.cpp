// Entry points for dropout: the mask comes from Philox (seed, offset), so the caller's
// generator advances its offset by philoxBlocks(numel) after each call.
#include <cmath>

#include "errors.h"
#include "js_functions.h"
#include "ew_util.h"

namespace nn::binding {
namespace js_dropout {

float read_p(const Args& a, size_t i) {
  double p = a.number(i, "p");
  if (!(p >= 0.0 && p < 1.0)) fail(ErrorCode::Argument, a.op, ": drop probability 'p' must be in [0, 1), got ", p);
  return static_cast<float>(p);
}

// dropout(x, p, seed, offset) -> [y, mask uint8]; y = x * mask / (1 - p). p = 0 copies x.
Napi::Value dropout(const Napi::CallbackInfo& info) {
  Args a{info, "dropout"};
  const Tensor& x = a.tensor(0, "x", DType::F32);
  float p = read_p(a, 1);
  uint64_t seed = a.u64(2, "seed"), offset = a.u64(3, "offset");
  Backend& b = x.backend();
  Tensor y = empty(b, x.shape, DType::F32);
  Tensor mask = empty(b, x.shape, DType::U8);
  if (x.numel() > 0) b.dropout(x.f32(), y.f32(), mask.u8(), x.numel(), p, seed, offset);
  return wrap_all(a.env(), {y, mask});
}

// dropoutBackward(dy, mask uint8, p) -> dx = dy * mask / (1 - p)
Napi::Value dropout_backward(const Napi::CallbackInfo& info) {
  Args a{info, "dropoutBackward"};
  const Tensor& dy = a.tensor(0, "dy", DType::F32);
  const Tensor& mask = a.tensor(1, "mask", DType::U8);
  float p = read_p(a, 2);
  require_shape(a.op, "mask", mask, dy.shape);
  require_same_device(a.op, {&dy, &mask});
  Tensor dx = empty(dy.backend(), dy.shape, DType::F32);
  if (dy.numel() > 0) dy.backend().dropout_backward(dy.f32(), mask.u8(), dx.f32(), dy.numel(), p);
  return wrap(a.env(), std::move(dx));
}

}  // namespace js_dropout

}  // namespace nn::binding
