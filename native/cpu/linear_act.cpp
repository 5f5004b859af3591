// The fused linear layer's pass over its GEMM output (kernels/linear.h): bias and activation in
// one pass, in place, where the separate ops make two passes and two more outputs; and the
// activation's backward. Each activation is a template parameter so the per-element switch folds
// away.
#include <algorithm>

#include "../core/error.h"
#include "../core/thread_pool.h"
#include "activation/activation.h"
#include "cpu_backend.h"

namespace nn {
namespace {

constexpr int64_t kGrain = 1 << 14;
// No activation or ReLU: the pass is memory-bound, split by the bytes it moves; the others keep
// the element grain.
constexpr bool memory_bound(LinearAct act) { return act == LinearAct::None || act == LinearAct::Relu; }

template <LinearAct ACT>
void bias_act_rows(const float* bias, float* y, int64_t rows, int64_t cols) {
  const int64_t grain =
      memory_bound(ACT) ? grain_for_bytes(8 * cols) : std::max<int64_t>(1, kGrain / std::max<int64_t>(cols, 1));
  parallel_for(rows, grain, [=](int64_t lo, int64_t hi) {
    if constexpr (ACT == LinearAct::Tanh || ACT == LinearAct::Sigmoid) {  // vector loops, same bits
      constexpr cpu::ActFn f = ACT == LinearAct::Tanh ? cpu::ActFn::Tanh : cpu::ActFn::Sigmoid;
      if (!bias) return cpu::activation_forward(f, y + lo * cols, nullptr, y + lo * cols, (hi - lo) * cols);
      for (int64_t r = lo; r < hi; ++r) cpu::activation_forward(f, y + r * cols, bias, y + r * cols, cols);
      return;
    }
    for (int64_t r = lo; r < hi; ++r) {
      float* row = y + r * cols;
      if (bias)
        for (int64_t c = 0; c < cols; ++c)
          row[c] = linear_act_forward(ACT, binary_forward(BinaryOp::Add, row[c], bias[c]));
      else
        for (int64_t c = 0; c < cols; ++c) row[c] = linear_act_forward(ACT, row[c]);
    }
  });
}

template <LinearAct ACT>
void act_backward(const float* y, const float* dy, float* dz, int64_t n) {
  parallel_for(n, memory_bound(ACT) ? grain_for_bytes(12) : kGrain, [=](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) dz[i] = linear_act_grad(ACT, y[i], dy[i]);
  });
}

// Calls f.template run<ACT>() for the runtime activation.
template <typename F>
void dispatch_act(LinearAct act, const F& f) {
  switch (act) {
    case LinearAct::None:
      return f.template run<LinearAct::None>();
    case LinearAct::Relu:
      return f.template run<LinearAct::Relu>();
    case LinearAct::Sigmoid:
      return f.template run<LinearAct::Sigmoid>();
    case LinearAct::Tanh:
      return f.template run<LinearAct::Tanh>();
    default:
      fail(ErrorCode::Internal, "cpu: unknown linear activation ", static_cast<int>(act));
  }
}

struct Forward {
  const float* bias;
  float* y;
  int64_t rows, cols;
  template <LinearAct ACT>
  void run() const {
    bias_act_rows<ACT>(bias, y, rows, cols);
  }
};

struct Backward {
  const float *y, *dy;
  float* dz;
  int64_t n;
  template <LinearAct ACT>
  void run() const {
    act_backward<ACT>(y, dy, dz, n);
  }
};

}  // namespace

void CpuBackend::bias_act_forward(LinearAct act, const float* bias, float* y, int64_t rows, int64_t cols) {
  if (rows * cols == 0 || (act == LinearAct::None && !bias)) return;
  dispatch_act(act, Forward{bias, y, rows, cols});
}

void CpuBackend::bias_act_backward(LinearAct act, const float* y, const float* dy, float* dz, int64_t n) {
  if (n > 0) dispatch_act(act, Backward{y, dy, dz, n});
}

}  // namespace nn
