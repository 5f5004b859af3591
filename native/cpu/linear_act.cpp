// The fused linear layer's pass over its GEMM output (kernels/linear.h): bias and activation in
// one pass, in place, where the separate ops make two passes and two more outputs; and the
// activation's backward. Each activation is a template parameter so the per-element switch folds
// away.
#include <algorithm>
#include <vector>

#include "../core/error.h"
#include "../core/thread_pool.h"
#include "activation/activation.h"
#include "cpu_backend.h"
#include "reduce_blocks.h"

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
    if constexpr (ACT == LinearAct::Tanh || ACT == LinearAct::Sigmoid)  // vector loops, same bits
      return cpu::activation_backward(ACT == LinearAct::Tanh ? cpu::ActFn::Tanh : cpu::ActFn::Sigmoid, y + lo, dy + lo,
                                      dz + lo, nullptr, hi - lo);
    for (int64_t i = lo; i < hi; ++i) dz[i] = linear_act_grad(ACT, y[i], dy[i]);
  });
}

// Sigmoid's and tanh's backward with the bias gradient in the same sweep (activation/): each
// row's dz is added to its block's column sums while it is in registers, so dz is not read back.
// The sums are reduce's for [1, rows, cols] (reduce.cpp's reduce_cols): per column, the rows of
// each kReduceDimBlock block summed in order from 0, then the blocks' sums added in order to 0;
// the same bits whatever the tasks.
constexpr int64_t kDimBlock = kReduceDimBlock;
constexpr int64_t kColChunk = kReduceColChunk;

void act_backward_bias(cpu::ActFn f, const float* y, const float* dy, float* dz, float* dbias, int64_t rows,
                       int64_t cols) {
  const int64_t nblocks = (rows + kDimBlock - 1) / kDimBlock, nchunks = (cols + kColChunk - 1) / kColChunk;
  std::vector<float> part(static_cast<size_t>(nblocks * cols), 0.f);
  const int64_t per_task = kDimBlock * std::min(cols, kColChunk);
  parallel_for(nblocks * nchunks, std::max<int64_t>(1, kGrain / per_task), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t b = t / nchunks, c0 = (t % nchunks) * kColChunk, w = std::min(kColChunk, cols - c0);
      float* sums = part.data() + b * cols + c0;
      for (int64_t r = b * kDimBlock, r1 = std::min(rows, r + kDimBlock); r < r1; ++r) {
        const int64_t at = r * cols + c0;
        cpu::activation_backward(f, y + at, dy + at, dz + at, sums, w);
      }
    }
  });
  for (int64_t c = 0; c < cols; ++c) dbias[c] = 0.f;
  for (int64_t b = 0; b < nblocks; ++b)
    for (int64_t c = 0; c < cols; ++c) dbias[c] += part[b * cols + c];
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

void CpuBackend::bias_act_backward(LinearAct act, const float* y, const float* dy, float* dz, float* dbias,
                                   int64_t rows, int64_t cols) {
  if (rows * cols == 0) {
    if (dbias) fill_f32(dbias, cols, 0.f);
    return;
  }
  if (dbias && (act == LinearAct::Sigmoid || act == LinearAct::Tanh))
    return act_backward_bias(act == LinearAct::Tanh ? cpu::ActFn::Tanh : cpu::ActFn::Sigmoid, y, dy, dz, dbias, rows,
                             cols);
  dispatch_act(act, Backward{y, dy, dz, rows * cols});
  if (dbias) reduce(ReduceOp::Sum, dz, dbias, 1, rows, cols);
}

}  // namespace nn
