// Batch normalisation on the CPU. Statistics are per channel, so channels are split statically
// over the pool and each channel's sums are formed by one thread in a fixed order: results are
// bit-identical run to run. Sums run in 8 float lanes over each contiguous hw block and are
// carried across blocks in double; the variance uses the corrected two-pass formula.
#include <algorithm>
#include <cmath>

#include "../core/thread_pool.h"
#include "../kernels/batchnorm.h"
#include "cpu_backend.h"

namespace nn {
namespace {

struct Moments {
  double d1 = 0, d2 = 0;  // sum(x - c), sum((x - c)^2)
};

void add_moments(const float* x, int64_t n, float center, Moments* m) {
  float l1[8] = {0, 0, 0, 0, 0, 0, 0, 0}, l2[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) {
      float d = x[i + j] - center;
      l1[j] += d;
      l2[j] += d * d;
    }
  for (int j = 0; j < 8; ++j) {
    m->d1 += l1[j];
    m->d2 += l2[j];
  }
  for (; i < n; ++i) {
    double d = static_cast<double>(x[i]) - center;
    m->d1 += d;
    m->d2 += d * d;
  }
}

// sum(dy), sum(dy * (x - mean)) over one block.
void add_grad_sums(const float* x, const float* dy, int64_t n, float mean, double* sdy, double* sdyx) {
  float l1[8] = {0, 0, 0, 0, 0, 0, 0, 0}, l2[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) {
      l1[j] += dy[i + j];
      l2[j] += dy[i + j] * (x[i + j] - mean);
    }
  for (int j = 0; j < 8; ++j) {
    *sdy += l1[j];
    *sdyx += l2[j];
  }
  for (; i < n; ++i) {
    *sdy += dy[i];
    *sdyx += static_cast<double>(dy[i]) * (static_cast<double>(x[i]) - mean);
  }
}

void scale_shift(const float* x, float* y, int64_t n, float scale, float shift) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale + shift;
}

int64_t channel_grain(const BatchNormArgs& a) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(a.n * a.hw, 1)); }

}  // namespace

void CpuBackend::batchnorm_forward_train(const BatchNormArgs& a, const float* x, const float* gamma,
                                         const float* beta, float* y, float* save_mean, float* save_invstd,
                                         float* running_mean, float* running_var) {
  const int64_t m = a.n * a.hw;
  parallel_for(a.c, channel_grain(a), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      Moments raw;
      for (int64_t n = 0; n < a.n; ++n) add_moments(x + (n * a.c + c) * a.hw, a.hw, 0.f, &raw);
      double mean = raw.d1 / static_cast<double>(m);
      float meanf = static_cast<float>(mean);
      Moments cm;
      for (int64_t n = 0; n < a.n; ++n) add_moments(x + (n * a.c + c) * a.hw, a.hw, meanf, &cm);
      // Corrected two-pass: removes the error of centring on a rounded mean.
      double var = std::max(0.0, (cm.d2 - cm.d1 * cm.d1 / static_cast<double>(m)) / static_cast<double>(m));
      mean = static_cast<double>(meanf) + cm.d1 / static_cast<double>(m);
      float invstd = bn_invstd(var, a.eps);
      save_mean[c] = static_cast<float>(mean);
      save_invstd[c] = invstd;
      if (running_mean) running_mean[c] = bn_running_update(running_mean[c], mean, a.momentum);
      if (running_var) running_var[c] = bn_running_update(running_var[c], bn_unbiased(var, m), a.momentum);
      float scale, shift;
      bn_affine(static_cast<float>(mean), invstd, gamma[c], beta[c], &scale, &shift);
      for (int64_t n = 0; n < a.n; ++n) {
        int64_t off = (n * a.c + c) * a.hw;
        scale_shift(x + off, y + off, a.hw, scale, shift);
      }
    }
  });
}

void CpuBackend::batchnorm_forward_eval(const BatchNormArgs& a, const float* x, const float* gamma,
                                        const float* beta, const float* running_mean, const float* running_var,
                                        float* y) {
  parallel_for(a.n * a.c, std::max<int64_t>(1, 16384 / std::max<int64_t>(a.hw, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t pl = lo; pl < hi; ++pl) {
      int64_t c = pl % a.c;
      float scale, shift;
      bn_affine(running_mean[c], bn_invstd(running_var[c], a.eps), gamma[c], beta[c], &scale, &shift);
      scale_shift(x + pl * a.hw, y + pl * a.hw, a.hw, scale, shift);
    }
  });
}

void CpuBackend::batchnorm_backward(const BatchNormArgs& a, const float* x, const float* dy, const float* gamma,
                                    const float* save_mean, const float* save_invstd, float* dx, float* dgamma,
                                    float* dbeta) {
  const int64_t m = a.n * a.hw;
  parallel_for(a.c, channel_grain(a), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      float mean = save_mean[c], invstd = save_invstd[c];
      double sdy = 0, sdyx = 0;
      for (int64_t n = 0; n < a.n; ++n) {
        int64_t off = (n * a.c + c) * a.hw;
        add_grad_sums(x + off, dy + off, a.hw, mean, &sdy, &sdyx);
      }
      double sdy_xhat = sdyx * invstd;
      dbeta[c] = static_cast<float>(sdy);
      dgamma[c] = static_cast<float>(sdy_xhat);
      float k1 = gamma[c] * invstd;
      float k2 = static_cast<float>(sdy / static_cast<double>(m));
      float k3 = static_cast<float>(sdy_xhat / static_cast<double>(m));
      for (int64_t n = 0; n < a.n; ++n) {
        int64_t off = (n * a.c + c) * a.hw;
        const float* xb = x + off;
        const float* gb = dy + off;
        float* db = dx + off;
        for (int64_t i = 0; i < a.hw; ++i) db[i] = bn_backward_dx(xb[i], gb[i], mean, invstd, k1, k2, k3);
      }
    }
  });
}

}  // namespace nn
