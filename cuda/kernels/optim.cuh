// The fused optimizer steps (per-element math in native/kernels/optim.h).
#pragma once
#include <cstdint>

#include "../../native/kernels/optim.h"
#include "../../native/backend.h"
#include "common.cuh"

namespace nn::cuda {

// The fused optimizer steps update every parameter tensor of a call in one launch: the host
// uploads a table of the non-empty tensors with their first element in the flattened range
// [0, total), and each thread finds the tensor of its element by binary search (a few steps
// for a model's few dozen tensors; the table stays in cache).
struct OptimSlot {
  float* p;
  const float* g;
  float* m;  // SGD momentum buffer / Adam first moment
  float* v;  // Adam second moment
  int64_t start;
};

// The last slot whose start is <= i (starts strictly increase: empty tensors are left out).
NN_DEVICE const OptimSlot& slot_of(const OptimSlot* slots, int64_t nslots, int64_t i) {
  int64_t lo = 0, hi = nslots - 1;
  while (lo < hi) {
    const int64_t mid = (lo + hi + 1) / 2;
    if (slots[mid].start <= i)
      lo = mid;
    else
      hi = mid - 1;
  }
  return slots[lo];
}

static __global__ void sgd_kernel(const OptimSlot* slots, int64_t nslots, int64_t total, float lr, float momentum,
                                  float dampening, float wd, bool nesterov, bool first_step) {
  NN_GRID_STRIDE(i, total) {
    const OptimSlot& s = slot_of(slots, nslots, i);
    const int64_t j = i - s.start;
    // With momentum 0 the buffer is neither read nor written (it may be absent).
    sgd_update(s.p[j], s.g[j], momentum != 0.f ? s.m + j : nullptr, lr, momentum, dampening, wd, nesterov, first_step);
  }
}

static __global__ void adam_kernel(const OptimSlot* slots, int64_t nslots, int64_t total, float beta1, float beta2,
                                   float eps, float wd, bool decoupled, AdamCoeffs c) {
  NN_GRID_STRIDE(i, total) {
    const OptimSlot& s = slot_of(slots, nslots, i);
    const int64_t j = i - s.start;
    adam_update(s.p[j], s.g[j], s.m[j], s.v[j], beta1, beta2, eps, wd, decoupled, c);
  }
}

static __global__ void ema_kernel(const OptimSlot* slots, int64_t nslots, int64_t total, float keep, float take) {
  NN_GRID_STRIDE(i, total) {
    const OptimSlot& s = slot_of(slots, nslots, i);
    const int64_t j = i - s.start;
    ema_update(s.p[j], s.g[j], keep, take);
  }
}

}  // namespace nn::cuda
