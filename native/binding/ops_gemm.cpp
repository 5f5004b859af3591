// Entry points for matrix products: matmul (2-D and batched 3-D, with transposed operands),
// gemmInto (C = alpha op(A) op(B) + beta C in place, for gradient accumulation) and the fused
// linear layer act(x @ w^T + bias) with its backward.
#include <cmath>

#include "args.h"
#include "ew_util.h"
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

const NamedOp<LinearAct> kActs[] = {
    {"none", LinearAct::None}, {"relu", LinearAct::Relu}, {"sigmoid", LinearAct::Sigmoid}, {"tanh", LinearAct::Tanh}};
static_assert(sizeof(kActs) / sizeof(kActs[0]) == static_cast<size_t>(LinearAct::Count), "every LinearAct named");

LinearAct read_act(Args& a, size_t i) { return parse_op(a.op, a.string(i, "act"), kActs, "activation"); }

// x [N, in] and weight [out, in] of a linear layer: the product's dimensions.
Dims linear_dims(Args& a, const Tensor& x, const Tensor& w) {
  if (x.shape[1] != w.shape[1])
    fail(ErrorCode::Shape, a.op, ": x ", shape_str(x.shape), " has ", x.shape[1], " features, weight ",
         shape_str(w.shape), " expects ", w.shape[1]);
  return Dims{x.shape[0], w.shape[0], x.shape[1]};
}

// linearAct(x, weight, bias | null, act) -> act(x @ weight^T + bias) for x [N, in], weight
// [out, in], bias [out]; act is none, relu, sigmoid or tanh. The GEMM of matmul(x, weight, false,
// true), then one pass that adds the bias and applies act in place: the bits of the separate ops.
Napi::Value linear_act(const Napi::CallbackInfo& info) {
  Args a{info, "linearAct"};
  const Tensor& x = matrix_operand(a, 0, "x", 2);
  const Tensor& w = matrix_operand(a, 1, "weight", 2);
  const Tensor* bias = a.optional_tensor(2, "bias", DType::F32);
  const LinearAct act = read_act(a, 3);
  require_same_device(a.op, {&x, &w, bias});
  const Dims d = linear_dims(a, x, w);
  if (bias) require_shape(a.op, "bias", *bias, Shape{d.n});
  Backend& b = x.backend();
  Tensor y = empty(b, Shape{d.m, d.n}, DType::F32);
  if (y.numel() == 0) return wrap(a.env(), std::move(y));
  b.gemm(gemm_args(d, false, true), x.f32(), w.f32(), y.f32());
  b.bias_act_forward(act, bias ? bias->f32() : nullptr, y.f32(), d.m, d.n);
  return wrap(a.env(), std::move(y));
}

// linearActBackward(x, weight, y | null, dy, act, needX, needWeight, needBias) -> [dx, dweight,
// dbias], each null when not needed. y = linearAct(...) is read for relu, sigmoid and tanh (null
// is accepted for none). dz = dy * act'(z), then dx = dz @ weight, dweight = dz^T @ x and dbias the
// column sums of dz: the GEMMs and the reduction the separate ops' gradients run, so the same bits.
Napi::Value linear_act_backward(const Napi::CallbackInfo& info) {
  Args a{info, "linearActBackward"};
  const Tensor& x = matrix_operand(a, 0, "x", 2);
  const Tensor& w = matrix_operand(a, 1, "weight", 2);
  const Tensor* y = a.optional_tensor(2, "y", DType::F32);
  const Tensor& dy = a.tensor(3, "dy", DType::F32);
  const LinearAct act = read_act(a, 4);
  const bool need_x = a.boolean(5, "needX"), need_w = a.boolean(6, "needWeight"), need_b = a.boolean(7, "needBias");
  const Dims d = linear_dims(a, x, w);
  const Shape out_shape{d.m, d.n};
  require_shape(a.op, "dy", dy, out_shape);
  if (act != LinearAct::None) {
    if (!y) fail(ErrorCode::Argument, a.op, ": activation '", a.string(4, "act"), "' needs the forward output y");
    require_shape(a.op, "y", *y, out_shape);
  }
  require_same_device(a.op, {&x, &w, y, &dy});
  Backend& b = x.backend();
  Tensor dz = dy;
  // The bias gradient: the reduction sumToShape(dz, [out]) runs ([1, N, out] summed over its middle
  // axis), made by the activation's backward pass in the same sweep when there is one.
  Tensor db = need_b ? empty(b, Shape{d.n}, DType::F32) : Tensor{};
  if (act != LinearAct::None) {
    dz = empty(b, out_shape, DType::F32);
    b.bias_act_backward(act, y->f32(), dy.f32(), dz.f32(), need_b ? db.f32() : nullptr, d.m, d.n);
  } else if (need_b && d.n > 0) {
    b.reduce(ReduceOp::Sum, dz.f32(), db.f32(), 1, d.m, d.n);
  }
  Napi::Env env = a.env();
  Napi::Array grads = Napi::Array::New(env, 3);
  for (uint32_t i = 0; i < 3; ++i) grads.Set(i, env.Null());
  if (need_x) {
    // dx = dz @ weight: [N, out] @ [out, in]
    Tensor dx = empty(b, Shape{d.m, d.k}, DType::F32);
    if (dx.numel() > 0) b.gemm(gemm_args(Dims{d.m, d.k, d.n}, false, false), dz.f32(), w.f32(), dx.f32());
    grads.Set(0u, wrap(env, std::move(dx)));
  }
  if (need_w) {
    // dweight = dz^T @ x: [out, N] @ [N, in]
    Tensor dw = empty(b, Shape{d.n, d.k}, DType::F32);
    if (dw.numel() > 0) b.gemm(gemm_args(Dims{d.n, d.k, d.m}, true, false), dz.f32(), x.f32(), dw.f32());
    grads.Set(1u, wrap(env, std::move(dw)));
  }
  if (need_b) grads.Set(2u, wrap(env, std::move(db)));
  return grads;
}

}  // namespace js_gemm

}  // namespace nn::binding
