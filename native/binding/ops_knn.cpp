// k-NN building blocks: pairwise squared distances and per-row top-k.
#include <cmath>
#include <cstdint>

#include "args.h"
#include "errors.h"
#include "register.h"

namespace nn::binding {
namespace {

// pairwiseSqDist(a [m, d], b [n, d]) -> [m, n]
Napi::Value pairwise_sqdist(const Napi::CallbackInfo& info) {
  Args a{info, "pairwiseSqDist"};
  const Tensor& x = a.tensor(0, "a", DType::F32);
  const Tensor& y = a.tensor(1, "b", DType::F32);
  require_rank(a.op, "a", x, 2);
  require_rank(a.op, "b", y, 2);
  if (x.shape[1] != y.shape[1])
    fail(ErrorCode::Shape, a.op, ": 'a' ", shape_str(x.shape), " and 'b' ", shape_str(y.shape),
         " must have the same number of columns (feature dimension)");
  require_same_device(a.op, {&x, &y});
  Tensor d = empty(x.backend(), {x.shape[0], y.shape[0]}, DType::F32);
  x.backend().pairwise_sqdist(x.f32(), y.f32(), d.f32(), x.shape[0], y.shape[0], x.shape[1]);
  return wrap(a.env(), std::move(d));
}

// topk(x [rows, cols], k, largest) -> [values [rows, k], int32 indices [rows, k]]
Napi::Value topk(const Napi::CallbackInfo& info) {
  Args a{info, "topk"};
  const Tensor& x = a.tensor(0, "x", DType::F32);
  require_rank(a.op, "x", x, 2);
  int64_t rows = x.shape[0], cols = x.shape[1];
  if (cols > INT32_MAX)
    fail(ErrorCode::Shape, a.op, ": 'x' ", shape_str(x.shape), " has more columns than int32 indices can address");
  double kv = a.number(1, "k");
  if (!(std::isfinite(kv) && kv == std::floor(kv) && kv >= 1 && kv <= static_cast<double>(cols)))
    fail(ErrorCode::Argument, a.op, ": 'k' must be an integer in [1, ", cols, "] for 'x' of shape ", shape_str(x.shape),
         ", got ", kv);
  int64_t k = static_cast<int64_t>(kv);
  bool largest = a.boolean(2, "largest");
  Tensor values = empty(x.backend(), {rows, k}, DType::F32);
  Tensor indices = empty(x.backend(), {rows, k}, DType::I32);
  x.backend().topk(x.f32(), values.f32(), indices.i32(), rows, cols, k, largest);
  return wrap_all(a.env(), {values, indices});
}

}  // namespace

void register_knn(Napi::Env env, Napi::Object exports) {
  export_op(env, exports, "pairwiseSqDist", pairwise_sqdist);
  export_op(env, exports, "topk", topk);
}

}  // namespace nn::binding
