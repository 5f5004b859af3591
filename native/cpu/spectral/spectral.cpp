// Spectral ops on the CPU: STFT through the mixed-radix FFT of spectral_fft.h, the torchaudio mel
// filter bank, and power to decibels. The signals are real, so two frames share one complex FFT
// (the first as the real part, the second as the imaginary part) and are separated afterwards
// through the conjugate symmetry of real spectra: this halves the FFT work.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../../core/thread_pool.h"
#include "../../kernels/spectral_math.h"
#include "../cpu_backend.h"
#include "spectral_fft.h"

namespace nn {

namespace {

// Windowed samples of frame t of `signal` (zeros for a frame index past the last one).
void load_frame(const StftArgs& a, const float* signal, const float* window, int64_t t, float* out) {
  if (t >= a.frames) {
    std::fill(out, out + a.n_fft, 0.f);
    return;
  }
  const int64_t start = stft_frame_start(t, a.hop, a.n_fft, a.center);
  if (start >= 0 && start + a.n_fft <= a.length) {
    for (int64_t j = 0; j < a.n_fft; ++j) out[j] = signal[start + j] * window[j];
  } else {
    for (int64_t j = 0; j < a.n_fft; ++j) out[j] = signal[reflect_index(start + j, a.length)] * window[j];
  }
}

void store_bin(const StftArgs& a, float* y, int64_t item, int64_t k, int64_t t, float re, float im, bool power) {
  const int64_t at = a.frames_major ? (item * a.frames + t) * a.bins + k : (item * a.bins + k) * a.frames + t;
  if (power) {
    y[at] = re * re + im * im;
  } else {
    y[2 * at] = re;
    y[2 * at + 1] = im;
  }
}

// 10 log10(max(x, amin)) without a libm call, so the loop vectorises: x = m 2^e with m in
// [sqrt(1/2), sqrt(2)), ln m = 2 atanh(t), t = (m - 1) / (m + 1), |t| < 0.172, by its series to
// t^9 (truncation below 4e-10). Agrees with log10f to a few float ulps; infinities pass through.
inline float fast_db(float x, float amin) {
  float v = x > amin ? x : amin;
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  float e = static_cast<float>(static_cast<int32_t>((bits >> 23) & 0xff) - 127);
  bits = (bits & 0x7fffffu) | 0x3f800000u;
  float m;
  std::memcpy(&m, &bits, 4);
  const bool high = m > 1.41421356f;
  m = high ? 0.5f * m : m;
  e = high ? e + 1.f : e;
  const float t = (m - 1.f) / (m + 1.f), t2 = t * t;
  const float ln_m = 2.f * t * (1.f + t2 * (1.f / 3 + t2 * (1.f / 5 + t2 * (1.f / 7 + t2 * (1.f / 9)))));
  const float db = 4.342944819032518f * (e * 0.693147180559945f + ln_m);  // 10 / ln 10 * ln v
  return v < INFINITY ? db : v;
}

}  // namespace

void CpuBackend::stft(const StftArgs& a, const float* x, const float* window, float* y, bool power) {
  const int64_t pairs = (a.frames + 1) / 2;
  if (a.batch * pairs == 0) return;
  const cpu::FftPlan& plan = cpu::fft_plan(a.n_fft);
  const int64_t n = a.n_fft;
  int64_t grain = std::max<int64_t>(1, (int64_t(1) << 16) / (n * 8));
  parallel_for(a.batch * pairs, grain, [&](int64_t lo, int64_t hi) {
    std::vector<cpu::Complex> z(static_cast<size_t>(n)), work(static_cast<size_t>(n));
    std::vector<float> f0(static_cast<size_t>(n)), f1(static_cast<size_t>(n));
    for (int64_t task = lo; task < hi; ++task) {
      const int64_t item = task / pairs, t0 = 2 * (task % pairs), t1 = t0 + 1;
      const float* signal = x + item * a.length;
      load_frame(a, signal, window, t0, f0.data());
      load_frame(a, signal, window, t1, f1.data());
      for (int64_t j = 0; j < n; ++j) z[j] = {f0[j], f1[j]};
      plan.forward(z.data(), work.data());
      // X0[k] = (Z[k] + conj Z[n-k]) / 2 and X1[k] = (Z[k] - conj Z[n-k]) / 2i.
      for (int64_t k = 0; k < a.bins; ++k) {
        const cpu::Complex zk = z[k], zc = z[k == 0 ? 0 : n - k];
        const float sr = zk.re + zc.re, si = zk.im - zc.im;  // Z[k] + conj Z[n-k]
        const float dr = zk.re - zc.re, di = zk.im + zc.im;  // Z[k] - conj Z[n-k]
        store_bin(a, y, item, k, t0, 0.5f * sr, 0.5f * si, power);
        if (t1 < a.frames) store_bin(a, y, item, k, t1, 0.5f * di, -0.5f * dr, power);
      }
    }
  });
}

void CpuBackend::mel_filterbank(float* fb, int64_t n_freqs, int64_t n_mels, double sample_rate, double f_min,
                                double f_max) {
  for (int64_t f = 0; f < n_freqs; ++f)
    for (int64_t m = 0; m < n_mels; ++m)
      fb[f * n_mels + m] = mel_filter_value(f, m, n_freqs, n_mels, sample_rate, f_min, f_max);
}

void CpuBackend::power_to_db(const float* x, float* y, int64_t batch, int64_t per_item, float amin, float top_db) {
  if (batch * per_item == 0) return;
  parallel_for(batch, std::max<int64_t>(1, (int64_t(1) << 15) / std::max<int64_t>(1, per_item)),
               [&](int64_t lo, int64_t hi) {
                 for (int64_t b = lo; b < hi; ++b) {
                   const float* xi = x + b * per_item;
                   float* yi = y + b * per_item;
                   for (int64_t i = 0; i < per_item; ++i) yi[i] = fast_db(xi[i], amin);
                   float peak = -INFINITY;
                   for (int64_t i = 0; i < per_item; ++i) peak = std::max(peak, yi[i]);
                   if (top_db > 0.f) {
                     const float floor_db = peak - top_db;
                     for (int64_t i = 0; i < per_item; ++i) yi[i] = std::max(yi[i], floor_db);
                   }
                 }
               });
}

}  // namespace nn
