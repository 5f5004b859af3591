// The switch tables of NN_CASE macros below are laid out by hand, which clang-format cannot keep.
// clang-format off
// Elementwise kernels: unary maps, broadcasting binary ops and where.
// Every op is a template parameter so the per-element switch of kernels/ops.h folds away and
// the contiguous inner loops vectorise.
#include <algorithm>

#include "../core/error.h"
#include "../core/thread_pool.h"
#include "activation/activation.h"
#include "cpu_backend.h"

namespace nn {
namespace {

constexpr int64_t kGrain = 1 << 14;

// Ops whose value and gradient take a few arithmetic instructions: memory-bound passes, split by
// the bytes they move. The others (exp, tanh, pow, ...) cost ten to a hundred times more per
// element and keep the element grain.
constexpr bool memory_bound(UnaryOp op) {
  switch (op) {
    case UnaryOp::Neg: case UnaryOp::Sqrt: case UnaryOp::Rsqrt: case UnaryOp::Abs: case UnaryOp::Sign:
    case UnaryOp::Square: case UnaryOp::Reciprocal: case UnaryOp::Relu: case UnaryOp::LeakyRelu:
    case UnaryOp::Affine: case UnaryOp::Clamp:
      return true;
    default:
      return false;
  }
}

template <UnaryOp OP>
void unary_fwd(const float* x, float* y, int64_t n, float alpha, float beta) {
  parallel_for(n, memory_bound(OP) ? grain_for_bytes(8) : kGrain, [=](int64_t lo, int64_t hi) {
    if constexpr (OP == UnaryOp::Tanh || OP == UnaryOp::Sigmoid)  // vector loops, same bits
      cpu::activation_forward(OP == UnaryOp::Tanh ? cpu::ActFn::Tanh : cpu::ActFn::Sigmoid, x + lo, nullptr, y + lo,
                              hi - lo);
    else
      for (int64_t i = lo; i < hi; ++i) y[i] = unary_forward(OP, x[i], alpha, beta);
  });
}

template <UnaryOp OP>
void unary_bwd(const float* x, const float* y, const float* dy, float* dx, int64_t n, float alpha, float beta) {
  parallel_for(n, memory_bound(OP) ? grain_for_bytes(16) : kGrain, [=](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) dx[i] = unary_grad(OP, x[i], y[i], dy[i], alpha, beta);
  });
}

// Calls f.template run<OP>() for the runtime op.
template <typename F>
void dispatch_unary(UnaryOp op, const F& f) {
  switch (op) {
#define NN_CASE(name) case UnaryOp::name: f.template run<UnaryOp::name>(); break;
    NN_CASE(Neg) NN_CASE(Exp) NN_CASE(Log) NN_CASE(Log1p) NN_CASE(Sqrt) NN_CASE(Rsqrt) NN_CASE(Abs)
    NN_CASE(Sign) NN_CASE(Square) NN_CASE(Reciprocal) NN_CASE(Sin) NN_CASE(Cos) NN_CASE(Relu)
    NN_CASE(LeakyRelu) NN_CASE(Elu) NN_CASE(Sigmoid) NN_CASE(Tanh) NN_CASE(Gelu) NN_CASE(Softplus)
    NN_CASE(Affine) NN_CASE(Pow) NN_CASE(Clamp)
#undef NN_CASE
    default: fail(ErrorCode::Internal, "cpu: unknown unary op ", static_cast<int>(op));
  }
}

template <typename F>
void dispatch_binary(BinaryOp op, const F& f) {
  switch (op) {
#define NN_CASE(name) case BinaryOp::name: f.template run<BinaryOp::name>(); break;
    NN_CASE(Add) NN_CASE(Sub) NN_CASE(Mul) NN_CASE(Div) NN_CASE(Pow) NN_CASE(Maximum) NN_CASE(Minimum)
    NN_CASE(Eq) NN_CASE(Ne) NN_CASE(Lt) NN_CASE(Le) NN_CASE(Gt) NN_CASE(Ge)
#undef NN_CASE
    default: fail(ErrorCode::Internal, "cpu: unknown binary op ", static_cast<int>(op));
  }
}

// One contiguous run of output; the stride cases are separate loops so the common ones
// (both contiguous, one side constant) vectorise.
template <BinaryOp OP>
inline void binary_run(const float* a, int64_t sa, const float* b, int64_t sb, float* out, int64_t n) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) out[i] = binary_forward(OP, a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const float bv = *b;
    for (int64_t i = 0; i < n; ++i) out[i] = binary_forward(OP, a[i], bv);
  } else if (sa == 0 && sb == 1) {
    const float av = *a;
    for (int64_t i = 0; i < n; ++i) out[i] = binary_forward(OP, av, b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = binary_forward(OP, a[i * sa], b[i * sb]);
  }
}

// Drops size-1 axes and merges neighbours that both operands walk contiguously, so
// [N, C] + [C] becomes rows x inner and same-shape ops become one flat run.
struct Collapsed {
  int ndim = 0;
  int64_t shape[kMaxDims];
  int64_t sa[kMaxDims];
  int64_t sb[kMaxDims];
};

Collapsed collapse(const BroadcastArgs& a) {
  Collapsed c;
  for (int d = 0; d < a.ndim; ++d) {
    if (a.out_shape[d] == 1) continue;
    if (c.ndim > 0) {
      int k = c.ndim - 1;
      if (c.sa[k] == a.a_strides[d] * a.out_shape[d] && c.sb[k] == a.b_strides[d] * a.out_shape[d]) {
        c.shape[k] *= a.out_shape[d];
        c.sa[k] = a.a_strides[d];
        c.sb[k] = a.b_strides[d];
        continue;
      }
    }
    c.shape[c.ndim] = a.out_shape[d];
    c.sa[c.ndim] = a.a_strides[d];
    c.sb[c.ndim] = a.b_strides[d];
    ++c.ndim;
  }
  if (c.ndim == 0) {  // a scalar result
    c.ndim = 1;
    c.shape[0] = 1;
    c.sa[0] = c.sb[0] = 1;
  }
  return c;
}

template <BinaryOp OP>
void binary_impl(const Collapsed& c, const float* x, const float* y, float* out) {
  if (c.ndim == 1) {
    const int64_t n = c.shape[0], sa = c.sa[0], sb = c.sb[0];
    parallel_for(n, OP == BinaryOp::Pow ? kGrain : grain_for_bytes(12), [=](int64_t lo, int64_t hi) {
      binary_run<OP>(x + lo * sa, sa, y + lo * sb, sb, out + lo, hi - lo);
    });
    return;
  }
  // Rows of the innermost collapsed axis; each row's start is decoded from its row number.
  const int nd = c.ndim;
  const int64_t inner = c.shape[nd - 1];
  int64_t rows = 1;
  for (int d = 0; d < nd - 1; ++d) rows *= c.shape[d];
  const int64_t grain = OP == BinaryOp::Pow ? std::max<int64_t>(1, kGrain / inner) : grain_for_bytes(12 * inner);
  parallel_for(rows, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      int64_t rem = r, oa = 0, ob = 0;
      for (int d = nd - 2; d >= 0; --d) {
        int64_t i = rem % c.shape[d];
        rem /= c.shape[d];
        oa += i * c.sa[d];
        ob += i * c.sb[d];
      }
      binary_run<OP>(x + oa, c.sa[nd - 1], y + ob, c.sb[nd - 1], out + r * inner, inner);
    }
  });
}

struct UnaryFwd {
  const float* x; float* y; int64_t n; float alpha, beta;
  template <UnaryOp OP> void run() const { unary_fwd<OP>(x, y, n, alpha, beta); }
};
struct UnaryBwd {
  const float *x, *y, *dy; float* dx; int64_t n; float alpha, beta;
  template <UnaryOp OP> void run() const { unary_bwd<OP>(x, y, dy, dx, n, alpha, beta); }
};
struct BinaryFwd {
  const Collapsed& c; const float *x, *y; float* out;
  template <BinaryOp OP> void run() const { binary_impl<OP>(c, x, y, out); }
};

}  // namespace

void CpuBackend::unary(UnaryOp op, const float* x, float* y, int64_t n, float alpha, float beta) {
  dispatch_unary(op, UnaryFwd{x, y, n, alpha, beta});
}

void CpuBackend::unary_backward(UnaryOp op, const float* x, const float* y, const float* dy, float* dx, int64_t n,
                                float alpha, float beta) {
  dispatch_unary(op, UnaryBwd{x, y, dy, dx, n, alpha, beta});
}

void CpuBackend::binary(BinaryOp op, const BroadcastArgs& a, const float* x, const float* y, float* out) {
  int64_t n = 1;
  for (int d = 0; d < a.ndim; ++d) n *= a.out_shape[d];
  if (n == 0) return;
  Collapsed c = collapse(a);
  dispatch_binary(op, BinaryFwd{c, x, y, out});
}

void CpuBackend::where(const uint8_t* cond, const float* a, const float* b, float* out, int64_t n) {
  parallel_for(n, grain_for_bytes(13), [=](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) out[i] = cond[i] ? a[i] : b[i];
  });
}

}  // namespace nn
