// Per-element math of the spectral ops (STFT, mel filter bank, power to decibels), shared by the
// CPU backend and the CUDA kernels. Conventions follow torch.stft / torchaudio: a periodic Hann
// window of length n_fft, frames centred on t * hop with reflect padding, and torchaudio's
// melscale_fbanks with the HTK mel scale and no normalisation.
#pragma once
#include <cmath>
#include <cstdint>

#include "hd.h"

namespace nn {

// torch.hann_window(n, periodic=True)[i].
NN_HD float hann_periodic(int64_t i, int64_t n) {
  return static_cast<float>(0.5 -
                            0.5 * cos(2.0 * 3.14159265358979323846 * static_cast<double>(i) / static_cast<double>(n)));
}

// Index into a signal of `length` samples under reflect padding (numpy/torch "reflect": the edge
// sample is not repeated). Valid for -length < i < 2 * length - 1, which the binding guarantees
// by requiring length > n_fft / 2.
NN_HD int64_t reflect_index(int64_t i, int64_t length) {
  if (i < 0) return -i;
  if (i >= length) return 2 * (length - 1) - i;
  return i;
}

// First sample (before reflection) of frame t.
NN_HD int64_t stft_frame_start(int64_t t, int64_t hop, int64_t n_fft, bool center) {
  return t * hop - (center ? n_fft / 2 : 0);
}

NN_HD double hz_to_mel_htk(double f) { return 2595.0 * log10(1.0 + f / 700.0); }
NN_HD double mel_to_hz_htk(double m) { return 700.0 * (pow(10.0, m / 2595.0) - 1.0); }

// torchaudio.functional.melscale_fbanks(n_freqs, f_min, f_max, n_mels, sample_rate, norm=None,
// mel_scale="htk")[f, m]: a triangle per mel band over the linear frequencies
// linspace(0, sample_rate // 2, n_freqs), with corners at n_mels + 2 points evenly spaced in mel.
NN_HD float mel_filter_value(int64_t f, int64_t m, int64_t n_freqs, int64_t n_mels, double sample_rate, double f_min,
                             double f_max) {
  const double nyquist = floor(sample_rate / 2.0);  // torchaudio uses sample_rate // 2
  const double freq = n_freqs > 1 ? nyquist * static_cast<double>(f) / static_cast<double>(n_freqs - 1) : 0.0;
  const double m_min = hz_to_mel_htk(f_min), m_max = hz_to_mel_htk(f_max);
  const double step = (m_max - m_min) / static_cast<double>(n_mels + 1);
  const double lo = mel_to_hz_htk(m_min + step * static_cast<double>(m));
  const double mid = mel_to_hz_htk(m_min + step * static_cast<double>(m + 1));
  const double hi = mel_to_hz_htk(m_min + step * static_cast<double>(m + 2));
  const double down = (freq - lo) / (mid - lo);  // rising edge: -(lo - freq) / (mid - lo)
  const double up = (hi - freq) / (hi - mid);    // falling edge
  double v = down < up ? down : up;
  return static_cast<float>(v > 0.0 ? v : 0.0);
}

// torchaudio AmplitudeToDB(stype="power") with ref 1: 10 * log10(max(x, amin)).
NN_HD float power_to_db_value(float x, float amin) {
  float v = x > amin ? x : amin;
  return 10.f * log10f(v);
}

}  // namespace nn
