// Batch normalisation on the CPU. Statistics are per channel, so channels are split statically
// over the pool and each channel's sums are formed by one thread in a fixed order: results are
// bit-identical run to run. Sums run in 8 float lanes over each contiguous hw block and are
// carried across blocks in double; the variance uses the corrected two-pass formula.
// Small planes (ResNet's 16x16 .. 1x1 stages) would leave those lanes idle and walk memory with a
// stride of C*H*W: there (while the sums below fit in L2) a thread owns a band of channels and
// adds each image's contiguous run of them into per-position double sums (one running sum per
// (channel, position), images in order), so the work is straight vector adds over contiguous
// memory; a channel's result does not depend on the band split.
#include <algorithm>
#include <cmath>
#include <vector>

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

// The band path while a band's per-position sums (doubles) stay within L2.
bool band_path(const BatchNormArgs& a) {
  const int64_t tasks = std::max<int64_t>(1, std::min<int64_t>(num_threads(), a.c));
  return (a.c + tasks - 1) / tasks * a.hw <= 32768;
}

// Channel bands [c0, c1) of the small-plane path, each with its own scratch of (c1 - c0)*hw
// doubles (allocated by the caller, before the parallel region).
template <typename Fn>
void over_channel_bands(const BatchNormArgs& a, Fn fn) {
  const int64_t tasks = std::max<int64_t>(1, std::min<int64_t>(num_threads(), a.c));
  const int64_t band = (a.c + tasks - 1) / tasks;
  std::vector<std::vector<double>> s1(static_cast<size_t>(tasks)), s2(static_cast<size_t>(tasks));
  for (int64_t t = 0; t < tasks; ++t) {
    s1[t].resize(static_cast<size_t>(band * a.hw));
    s2[t].resize(static_cast<size_t>(band * a.hw));
  }
  parallel_tasks(tasks, [&](int64_t t) {
    const int64_t c0 = std::min(a.c, t * band), c1 = std::min(a.c, c0 + band);
    if (c0 < c1) fn(c0, c1, s1[t].data(), s2[t].data());
  });
}

// sum over images of f(n, j) for j in the band's (channel, position) run, into acc.
template <typename F>
void sum_runs(const BatchNormArgs& a, int64_t c0, int64_t c1, double* acc, F f) {
  const int64_t len = (c1 - c0) * a.hw;
  std::fill_n(acc, len, 0.0);
  for (int64_t n = 0; n < a.n; ++n) {
    const int64_t off = (n * a.c + c0) * a.hw;
    for (int64_t j = 0; j < len; ++j) acc[j] += f(off + j, j);
  }
}

// Per channel: the sum of acc over its hw positions.
inline double channel_total(const double* acc, int64_t c, int64_t hw) {
  double t = 0;
  for (int64_t i = 0; i < hw; ++i) t += acc[c * hw + i];
  return t;
}

void forward_train_bands(const BatchNormArgs& a, const float* x, const float* gamma, const float* beta, float* y,
                         float* save_mean, float* save_invstd, float* running_mean, float* running_var) {
  const int64_t m = a.n * a.hw, hw = a.hw;
  over_channel_bands(a, [&](int64_t c0, int64_t c1, double* s1, double* s2) {
    const int64_t nc = c1 - c0;
    sum_runs(a, c0, c1, s1, [&](int64_t i, int64_t) { return static_cast<double>(x[i]); });
    // Centre on the rounded mean, then correct (as the large-plane path).
    std::vector<float> centre(static_cast<size_t>(nc * hw));
    for (int64_t c = 0; c < nc; ++c) {
      const float meanf = static_cast<float>(channel_total(s1, c, hw) / static_cast<double>(m));
      std::fill_n(centre.data() + c * hw, hw, meanf);
    }
    sum_runs(a, c0, c1, s1, [&](int64_t i, int64_t j) { return static_cast<double>(x[i] - centre[j]); });
    sum_runs(a, c0, c1, s2, [&](int64_t i, int64_t j) {
      const double d = static_cast<double>(x[i] - centre[j]);
      return d * d;
    });
    std::vector<float> scale(static_cast<size_t>(nc * hw)), shift(static_cast<size_t>(nc * hw));
    for (int64_t c = 0; c < nc; ++c) {
      const int64_t ch = c0 + c;
      const double d1 = channel_total(s1, c, hw), d2 = channel_total(s2, c, hw);
      const double var = std::max(0.0, (d2 - d1 * d1 / static_cast<double>(m)) / static_cast<double>(m));
      const double mean = static_cast<double>(centre[c * hw]) + d1 / static_cast<double>(m);
      const float invstd = bn_invstd(var, a.eps);
      save_mean[ch] = static_cast<float>(mean);
      save_invstd[ch] = invstd;
      if (running_mean) running_mean[ch] = bn_running_update(running_mean[ch], mean, a.momentum);
      if (running_var) running_var[ch] = bn_running_update(running_var[ch], bn_unbiased(var, m), a.momentum);
      float sc, sh;
      bn_affine(static_cast<float>(mean), invstd, gamma[ch], beta[ch], &sc, &sh);
      std::fill_n(scale.data() + c * hw, hw, sc);
      std::fill_n(shift.data() + c * hw, hw, sh);
    }
    for (int64_t n = 0; n < a.n; ++n) {
      const int64_t off = (n * a.c + c0) * hw;
      for (int64_t j = 0; j < nc * hw; ++j) y[off + j] = x[off + j] * scale[j] + shift[j];
    }
  });
}

void backward_bands(const BatchNormArgs& a, const float* x, const float* dy, const float* gamma, const float* save_mean,
                    const float* save_invstd, float* dx, float* dgamma, float* dbeta) {
  const int64_t m = a.n * a.hw, hw = a.hw;
  over_channel_bands(a, [&](int64_t c0, int64_t c1, double* s1, double* s2) {
    const int64_t nc = c1 - c0, len = nc * hw;
    std::vector<float> mean(static_cast<size_t>(len)), invstd(static_cast<size_t>(len)), k1(static_cast<size_t>(len)),
        k2(static_cast<size_t>(len)), k3(static_cast<size_t>(len));
    for (int64_t c = 0; c < nc; ++c) {
      std::fill_n(mean.data() + c * hw, hw, save_mean[c0 + c]);
      std::fill_n(invstd.data() + c * hw, hw, save_invstd[c0 + c]);
    }
    sum_runs(a, c0, c1, s1, [&](int64_t i, int64_t) { return static_cast<double>(dy[i]); });
    sum_runs(a, c0, c1, s2, [&](int64_t i, int64_t j) { return static_cast<double>(dy[i] * (x[i] - mean[j])); });
    for (int64_t c = 0; c < nc; ++c) {
      const int64_t ch = c0 + c;
      const double sdy = channel_total(s1, c, hw), sdy_xhat = channel_total(s2, c, hw) * save_invstd[ch];
      dbeta[ch] = static_cast<float>(sdy);
      dgamma[ch] = static_cast<float>(sdy_xhat);
      std::fill_n(k1.data() + c * hw, hw, gamma[ch] * save_invstd[ch]);
      std::fill_n(k2.data() + c * hw, hw, static_cast<float>(sdy / static_cast<double>(m)));
      std::fill_n(k3.data() + c * hw, hw, static_cast<float>(sdy_xhat / static_cast<double>(m)));
    }
    for (int64_t n = 0; n < a.n; ++n) {
      const int64_t off = (n * a.c + c0) * hw;
      for (int64_t j = 0; j < len; ++j)
        dx[off + j] = bn_backward_dx(x[off + j], dy[off + j], mean[j], invstd[j], k1[j], k2[j], k3[j]);
    }
  });
}

}  // namespace

void CpuBackend::batchnorm_forward_train(const BatchNormArgs& a, const float* x, const float* gamma, const float* beta,
                                         float* y, float* save_mean, float* save_invstd, float* running_mean,
                                         float* running_var) {
  if (band_path(a)) {
    forward_train_bands(a, x, gamma, beta, y, save_mean, save_invstd, running_mean, running_var);
    return;
  }
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

void CpuBackend::batchnorm_forward_eval(const BatchNormArgs& a, const float* x, const float* gamma, const float* beta,
                                        const float* running_mean, const float* running_var, float* y) {
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
  if (band_path(a)) {
    backward_bands(a, x, dy, gamma, save_mean, save_invstd, dx, dgamma, dbeta);
    return;
  }
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
