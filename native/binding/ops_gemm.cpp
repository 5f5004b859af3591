// Entry points for matrix products: matmul (2-D and batched 3-D, with transposed operands) and
// gemmInto (C = alpha op(A) op(B) + beta C in place, for gradient accumulation).
#include <cmath>

#include "args.h"
#include "js_functions.h"
#include "errors.h"

namespace nn::binding {
namespace js_gemm {

// The product's dimensions read off the operands' last two axes.
struct Dims {
  int64_t m, n, k;
};

const Tensor& matrix_operand(Args& a, size_t i, const char* name, int64_t max_rank) {
  const Tensor& t = a.tensor(i, name, DType::F32);
  if (t.dim() < 2 || t.dim() > max_rank) {
    if (max_rank == 2)
      fail(ErrorCode::Shape, a.op, ": '", name, "' must be a 2-D matrix, got shape ", shape_str(t.shape));
    fail(ErrorCode::Shape, a.op, ": '", name, "' must be a 2-D matrix or a 3-D batch of matrices, got shape ",
         shape_str(t.shape));
  }
  return t;
}

bool flag(Args& a, size_t i, const char* name) { return a.has(i) ? a.boolean(i, name) : false; }

Dims product_dims(Args& a, const Tensor& ta, const Tensor& tb, bool trans_a, bool trans_b) {
  const int64_t ra = ta.dim(), rb = tb.dim();
  const int64_t a0 = ta.shape[ra - 2], a1 = ta.shape[ra - 1];
  const int64_t b0 = tb.shape[rb - 2], b1 = tb.shape[rb - 1];
  Dims d{trans_a ? a1 : a0, trans_b ? b0 : b1, trans_a ? a0 : a1};
  const int64_t kb = trans_b ? b1 : b0;
  if (d.k != kb) {
    const char* how = trans_a && trans_b ? " (transA, transB)" : trans_a ? " (transA)" : trans_b ? " (transB)" : "";
    fail(ErrorCode::Shape, a.op, ": a ", shape_str(ta.shape), " and b ", shape_str(tb.shape), how,
         ": inner dimensions ", d.k, " and ", kb, " differ");
  }
  return d;
}

GemmArgs gemm_args(const Dims& d, bool trans_a, bool trans_b) {
  GemmArgs g;
  g.trans_a = trans_a;
  g.trans_b = trans_b;
  g.m = d.m;
  g.n = d.n;
  g.k = d.k;
  // Leading dimensions of the operands as stored: [M, K] or [K, M], [K, N] or [N, K].
  g.lda = trans_a ? d.m : d.k;
  g.ldb = trans_b ? d.k : d.n;
  g.ldc = d.n;
  return g;
}

// matmul(a, b, transA = false, transB = false): op(a) [.., M, K] @ op(b) [.., K, N] -> [.., M, N].
// Either operand may be 3-D [B, ., .]; a 2-D operand is shared by every batch item.
Napi::Value matmul(const Napi::CallbackInfo& info) {
  Args a{info, "matmul"};
  const Tensor& ta = matrix_operand(a, 0, "a", 3);
  const Tensor& tb = matrix_operand(a, 1, "b", 3);
  const bool trans_a = flag(a, 2, "transA"), trans_b = flag(a, 3, "transB");
  require_same_device(a.op, {&ta, &tb});
  const Dims d = product_dims(a, ta, tb, trans_a, trans_b);
  const bool batched = ta.dim() == 3 || tb.dim() == 3;
  const int64_t ba = ta.dim() == 3 ? ta.shape[0] : -1, bb = tb.dim() == 3 ? tb.shape[0] : -1;
  if (ba >= 0 && bb >= 0 && ba != bb)
    fail(ErrorCode::Shape, a.op, ": batch sizes differ: a ", shape_str(ta.shape), " has ", ba, ", b ",
         shape_str(tb.shape), " has ", bb);
  const int64_t batch = ba >= 0 ? ba : bb >= 0 ? bb : 1;
  Tensor out = empty(ta.backend(), batched ? Shape{batch, d.m, d.n} : Shape{d.m, d.n}, DType::F32);
  if (out.numel() == 0) return wrap(a.env(), std::move(out));

  GemmArgs g = gemm_args(d, trans_a, trans_b);
  if (ba >= 0 && bb < 0 && !trans_a) {
    // A shared right operand under a row-major batch of A: one [B*M, K] @ [K, N] product,
    // which packs b once instead of once per item.
    g.m = batch * d.m;
  } else {
    g.batch = batch;
    g.stride_a = ba >= 0 ? d.m * d.k : 0;
    g.stride_b = bb >= 0 ? d.k * d.n : 0;
    g.stride_c = d.m * d.n;
  }
  ta.backend().gemm(g, ta.f32(), tb.f32(), out.f32());
  return wrap(a.env(), std::move(out));
}

// gemmInto(c, a, b, alpha, beta, transA = false, transB = false): c = alpha op(a) op(b) + beta c,
// all 2-D. With beta == 0 the old contents of c are ignored (NaN included).
Napi::Value gemm_into(const Napi::CallbackInfo& info) {
  Args a{info, "gemmInto"};
  const Tensor& tc = matrix_operand(a, 0, "c", 2);
  const Tensor& ta = matrix_operand(a, 1, "a", 2);
  const Tensor& tb = matrix_operand(a, 2, "b", 2);
  const float alpha = a.f32(3, "alpha"), beta = a.f32(4, "beta");
  if (!std::isfinite(alpha) || !std::isfinite(beta))
    fail(ErrorCode::Argument, a.op, ": alpha and beta must be finite, got ", alpha, " and ", beta);
  const bool trans_a = flag(a, 5, "transA"), trans_b = flag(a, 6, "transB");
  require_same_device(a.op, {&tc, &ta, &tb});
  const Dims d = product_dims(a, ta, tb, trans_a, trans_b);
  require_shape(a.op, "c", tc, Shape{d.m, d.n});
  // The kernel reads a and b while it writes c block by block.
  if (tc.storage == ta.storage || tc.storage == tb.storage)
    fail(ErrorCode::Argument, a.op, ": 'c' must not share storage with 'a' or 'b'");
  if (tc.numel() == 0) return a.env().Undefined();
  GemmArgs g = gemm_args(d, trans_a, trans_b);
  g.alpha = alpha;
  g.beta = beta;
  ta.backend().gemm(g, ta.f32(), tb.f32(), tc.f32());
  return a.env().Undefined();
}

}  // namespace js_gemm

}  // namespace nn::binding
