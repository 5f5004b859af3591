// Per-element batch-norm formulas shared by the CPU backend and the CUDA kernels.
#pragma once
#include <cmath>
#include <cstdint>

#include "hd.h"

namespace nn {

NN_HD float bn_invstd(double var, float eps) { return static_cast<float>(1.0 / sqrt(var + static_cast<double>(eps))); }

// y = (x - mean) * invstd * gamma + beta, folded into one multiply-add per element.
NN_HD void bn_affine(float mean, float invstd, float gamma, float beta, float* scale, float* shift) {
  *scale = gamma * invstd;
  *shift = beta - mean * *scale;
}

// running = (1 - momentum) * running + momentum * batch; the variance fed in is the unbiased
// one (biased * m / (m - 1)), as PyTorch does.
NN_HD float bn_running_update(float running, double batch, float momentum) {
  return static_cast<float>((1.0 - momentum) * running + momentum * batch);
}

NN_HD double bn_unbiased(double biased_var, int64_t m) {
  return m > 1 ? biased_var * static_cast<double>(m) / static_cast<double>(m - 1) : biased_var;
}

// Training-mode input gradient with xhat = (x - mean) * invstd over m elements per channel:
// dx = gamma * invstd * (dy - sum(dy)/m - xhat * sum(dy * xhat)/m).
// k1 = gamma * invstd, k2 = sum(dy)/m, k3 = sum(dy*xhat)/m.
NN_HD float bn_backward_dx(float x, float dy, float mean, float invstd, float k1, float k2, float k3) {
  float xhat = (x - mean) * invstd;
  return k1 * (dy - k2 - xhat * k3);
}

}  // namespace nn
