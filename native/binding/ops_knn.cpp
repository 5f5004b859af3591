// k-NN building blocks: pairwise squared distances and per-row top-k.
#include <cmath>
#include <cstdint>
#include <utility>

#include "args.h"
#include "js_functions.h"
#include "errors.h"

namespace nn::binding {
namespace js_knn {

// Arguments 0 and 1: rank-2 tensors of `dtype` on one device with the same number of columns
// (`columns` says what a column is, for the error).
std::pair<const Tensor&, const Tensor&> row_sets(const Args& a, const char* n0, const char* n1, DType dtype,
                                                 const char* columns) {
  const Tensor& x = a.tensor(0, n0, dtype);
  const Tensor& y = a.tensor(1, n1, dtype);
  require_rank(a.op, n0, x, 2);
  require_rank(a.op, n1, y, 2);
  if (x.shape[1] != y.shape[1])
    fail(ErrorCode::Shape, a.op, ": '", n0, "' ", shape_str(x.shape), " and '", n1, "' ", shape_str(y.shape),
         " must have the same number of columns (", columns, ")");
  require_same_device(a.op, {&x, &y});
  return {x, y};
}

// pairwiseSqDist(a [m, d], b [n, d]) -> [m, n]
Napi::Value pairwise_sqdist(const Napi::CallbackInfo& info) {
  Args a{info, "pairwiseSqDist"};
  auto [x, y] = row_sets(a, "a", "b", DType::F32, "feature dimension");
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

// knnExact(train uint8 [n, d], queries uint8 [m, d], k, projDim) -> [int32 indices [m, k],
// int32 squared distances [m, k]]
Napi::Value knn_exact(const Napi::CallbackInfo& info) {
  Args a{info, "knnExact"};
  auto [tr, qs] = row_sets(a, "train", "queries", DType::U8, "bytes per row");
  KnnExactArgs g;
  g.n = tr.shape[0];
  g.m = qs.shape[0];
  g.dim = tr.shape[1];
  // Distances are exact int32 sums of dim squares of at most 255^2.
  if (g.dim > INT32_MAX / (255 * 255))
    fail(ErrorCode::Shape, a.op, ": rows of ", g.dim, " bytes are too long for exact int32 distances (at most ",
         INT32_MAX / (255 * 255), ")");
  if (g.n > INT32_MAX)
    fail(ErrorCode::Shape, a.op, ": 'train' ", shape_str(tr.shape), " has more rows than int32 indices can address");
  if (g.n == 0) fail(ErrorCode::Shape, a.op, ": 'train' ", shape_str(tr.shape), " has no rows to search");
  const double kv = a.number(2, "k");
  if (!(std::isfinite(kv) && kv == std::floor(kv) && kv >= 1 && kv <= static_cast<double>(g.n)))
    fail(ErrorCode::Argument, a.op, ": 'k' must be an integer in [1, ", g.n, "] for 'train' of shape ",
         shape_str(tr.shape), ", got ", kv);
  g.k = static_cast<int64_t>(kv);
  g.proj_dim = a.has(3) ? a.integer(3, "projDim", 0, g.dim) : 0;
  Tensor idx = empty(tr.backend(), {g.m, g.k}, DType::I32);
  Tensor dist = empty(tr.backend(), {g.m, g.k}, DType::I32);
  tr.backend().knn_exact(g, tr.u8(), qs.u8(), idx.i32(), dist.i32());
  return wrap_all(a.env(), {idx, dist});
}

}  // namespace js_knn

}  // namespace nn::binding
