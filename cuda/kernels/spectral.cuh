// Spectral kernels: STFT, mel filter bank, power to decibels. The STFT is a direct DFT, one
// thread per (signal, bin, frame): n_fft multiply-adds per output with the twiddle phase kept as
// an exact integer (k * j mod n_fft), so the angle never loses precision for long frames; frames
// of a few hundred samples make this cheaper on a GPU than the synchronisation of an FFT.
#pragma once
#include <cstdint>

#include "../../native/backend.h"
#include "../../native/kernels/spectral_math.h"
#include "common.cuh"

namespace nn::cuda {

static __global__ void stft_kernel(StftArgs a, const float* x, const float* window, float* y, bool power) {
  const float step = -6.283185307179586f / static_cast<float>(a.n_fft);
  NN_GRID_STRIDE(t, a.batch * a.bins * a.frames) {
    // t enumerates the output in its layout: [item, bin, frame] or [item, frame, bin].
    const int64_t item = t / (a.frames * a.bins);
    const int64_t frame = a.frames_major ? (t / a.bins) % a.frames : t % a.frames;
    const int64_t k = a.frames_major ? t % a.bins : (t / a.frames) % a.bins;
    const float* signal = x + item * a.length;
    const int64_t start = stft_frame_start(frame, a.hop, a.n_fft, a.center);
    float re = 0.f, im = 0.f;
    int64_t phase = 0;  // k * j mod n_fft
    for (int64_t j = 0; j < a.n_fft; ++j) {
      const float v = signal[reflect_index(start + j, a.length)] * window[j];
      const float angle = step * static_cast<float>(phase);
      re += v * cosf(angle);
      im += v * sinf(angle);
      phase += k;
      if (phase >= a.n_fft) phase -= a.n_fft;
    }
    if (power) {
      y[t] = re * re + im * im;
    } else {
      y[2 * t] = re;
      y[2 * t + 1] = im;
    }
  }
}

static __global__ void mel_filterbank_kernel(float* fb, int64_t n_freqs, int64_t n_mels, double sample_rate,
                                             double f_min, double f_max) {
  NN_GRID_STRIDE(t, n_freqs * n_mels) {
    fb[t] = mel_filter_value(t / n_mels, t % n_mels, n_freqs, n_mels, sample_rate, f_min, f_max);
  }
}

// One block per item: decibels, then (top_db > 0) the floor at the item's maximum minus top_db.
static __global__ void power_to_db_kernel(const float* x, float* y, int64_t batch, int64_t per_item, float amin,
                                          float top_db) {
  NN_SHARED(float, smem, [33]);
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    const float* xi = x + b * per_item;
    float* yi = y + b * per_item;
    float peak = -INFINITY;
    for (int64_t i = threadIdx.x; i < per_item; i += blockDim.x) {
      const float v = power_to_db_value(xi[i], amin);
      yi[i] = v;
      peak = v > peak ? v : peak;
    }
    peak = block_reduce(peak, MaxOp{}, -INFINITY, smem);
    if (top_db > 0.f) {
      const float floor_db = peak - top_db;
      for (int64_t i = threadIdx.x; i < per_item; i += blockDim.x) yi[i] = yi[i] > floor_db ? yi[i] : floor_db;
    }
  }
}

}  // namespace nn::cuda
