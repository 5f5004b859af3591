// Batch normalisation: one block per channel forms the statistics (sums in double, the
// corrected two-pass variance of the CPU backend) and then normalises its channel.
#pragma once
#include <cstdint>

#include "../../native/backend.h"
#include "../../native/kernels/batchnorm.h"
#include "common.cuh"

namespace nn::cuda {

NN_DEVICE int64_t bn_offset(const BatchNormArgs& a, int64_t c, int64_t e) {
  return ((e / a.hw) * a.c + c) * a.hw + e % a.hw;  // element e of channel c's [n, hw] slab
}

static __global__ void batchnorm_train_kernel(BatchNormArgs a, const float* x, const float* gamma, const float* beta,
                                              float* y, float* save_mean, float* save_invstd, float* running_mean,
                                              float* running_var) {
  NN_SHARED(double, smem, [33]);
  const int64_t m = a.n * a.hw;
  for (int64_t c = blockIdx.x; c < a.c; c += gridDim.x) {
    double s = 0;
    for (int64_t e = threadIdx.x; e < m; e += blockDim.x) s += x[bn_offset(a, c, e)];
    s = block_reduce(s, SumOp{}, 0.0, smem);
    const float meanf = static_cast<float>(s / static_cast<double>(m));
    double d1 = 0, d2 = 0;
    for (int64_t e = threadIdx.x; e < m; e += blockDim.x) {
      double d = static_cast<double>(x[bn_offset(a, c, e)] - meanf);
      d1 += d;
      d2 += d * d;
    }
    d1 = block_reduce(d1, SumOp{}, 0.0, smem);
    d2 = block_reduce(d2, SumOp{}, 0.0, smem);
    // Corrected two-pass: removes the error of centring on a rounded mean.
    double var = (d2 - d1 * d1 / static_cast<double>(m)) / static_cast<double>(m);
    if (var < 0) var = 0;
    const double mean = static_cast<double>(meanf) + d1 / static_cast<double>(m);
    const float invstd = bn_invstd(var, a.eps);
    if (threadIdx.x == 0) {
      save_mean[c] = static_cast<float>(mean);
      save_invstd[c] = invstd;
      if (running_mean) running_mean[c] = bn_running_update(running_mean[c], mean, a.momentum);
      if (running_var) running_var[c] = bn_running_update(running_var[c], bn_unbiased(var, m), a.momentum);
    }
    float scale, shift;
    bn_affine(static_cast<float>(mean), invstd, gamma[c], beta[c], &scale, &shift);
    for (int64_t e = threadIdx.x; e < m; e += blockDim.x) {
      const int64_t off = bn_offset(a, c, e);
      y[off] = x[off] * scale + shift;
    }
  }
}

static __global__ void batchnorm_eval_kernel(BatchNormArgs a, const float* x, const float* gamma, const float* beta,
                                             const float* running_mean, const float* running_var, float* y) {
  NN_GRID_STRIDE(t, a.n * a.c * a.hw) {
    const int64_t c = (t / a.hw) % a.c;
    float scale, shift;
    bn_affine(running_mean[c], bn_invstd(running_var[c], a.eps), gamma[c], beta[c], &scale, &shift);
    y[t] = x[t] * scale + shift;
  }
}

static __global__ void batchnorm_backward_kernel(BatchNormArgs a, const float* x, const float* dy, const float* gamma,
                                                 const float* save_mean, const float* save_invstd, float* dx,
                                                 float* dgamma, float* dbeta) {
  NN_SHARED(double, smem, [33]);
  const int64_t m = a.n * a.hw;
  for (int64_t c = blockIdx.x; c < a.c; c += gridDim.x) {
    const float mean = save_mean[c], invstd = save_invstd[c];
    double sdy = 0, sdyx = 0;
    for (int64_t e = threadIdx.x; e < m; e += blockDim.x) {
      const int64_t off = bn_offset(a, c, e);
      sdy += dy[off];
      sdyx += static_cast<double>(dy[off]) * (static_cast<double>(x[off]) - mean);
    }
    sdy = block_reduce(sdy, SumOp{}, 0.0, smem);
    sdyx = block_reduce(sdyx, SumOp{}, 0.0, smem);
    const double sdy_xhat = sdyx * invstd;
    if (threadIdx.x == 0) {
      dbeta[c] = static_cast<float>(sdy);
      dgamma[c] = static_cast<float>(sdy_xhat);
    }
    const float k1 = gamma[c] * invstd;
    const float k2 = static_cast<float>(sdy / static_cast<double>(m));
    const float k3 = static_cast<float>(sdy_xhat / static_cast<double>(m));
    for (int64_t e = threadIdx.x; e < m; e += blockDim.x) {
      const int64_t off = bn_offset(a, c, e);
      dx[off] = bn_backward_dx(x[off], dy[off], mean, invstd, k1, k2, k3);
    }
  }
}

}  // namespace nn::cuda
