// Spectral ops: STFT (complex and power, centred with reflect padding and uncentred, a mixed-radix
// and a prime frame length, an odd frame count, both output layouts), the mel filter bank, and power to decibels with
// and without the top_db floor. The CUDA STFT is a direct DFT and the CPU's an FFT, so they agree
// to float rounding of sums of n_fft terms, not bit for bit.
#include <string>

#include "../../../native/kernels/spectral_math.h"
#include "harness.h"

namespace kt {
namespace {

// Sums of a few hundred products computed in a different order (DFT vs FFT).
constexpr Tol kSpectral{1e-4, 1e-5};
// The CPU takes the logarithm with its own polynomial (vectorised), the GPU with log10f.
constexpr Tol kDecibels{1e-5, 1e-6};

nn::StftArgs stft_args(int64_t batch, int64_t length, int64_t n_fft, int64_t hop, bool center) {
  nn::StftArgs a{};
  a.batch = batch, a.length = length, a.n_fft = n_fft, a.hop = hop, a.center = center;
  a.bins = n_fft / 2 + 1;
  a.frames = center ? 1 + length / hop : 1 + (length - n_fft) / hop;
  return a;
}

std::vector<float> hann(int64_t n) {
  std::vector<float> w(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) w[i] = nn::hann_periodic(i, n);
  return w;
}

void add_stft(std::vector<Case>& out, const std::string& name, nn::StftArgs a) {
  for (bool power : {false, true}) {
    out.push_back({"stft/" + name + (power ? "_power" : "_complex"), kSpectral, [a, power](Backend& b) {
                     Mem m(b);
                     const float* x = m.in(uniform(a.batch * a.length, -1.f, 1.f, 91));
                     const float* w = m.in(hann(a.n_fft));
                     const size_t n = static_cast<size_t>(a.batch * a.bins * a.frames * (power ? 1 : 2));
                     float* y = m.out<float>(n);
                     b.stft(a, x, w, y, power);
                     Outputs o;
                     o.add("y", m.get(y, n));
                     return o;
                   }});
  }
}

void add_filterbank(std::vector<Case>& out, const std::string& name, int64_t n_freqs, int64_t n_mels, double sr,
                    double f_min, double f_max) {
  out.push_back({"mel_filterbank/" + name, kElementwise, [=](Backend& b) {
                   Mem m(b);
                   float* fb = m.out<float>(n_freqs * n_mels);
                   b.mel_filterbank(fb, n_freqs, n_mels, sr, f_min, f_max);
                   Outputs o;
                   o.add("fb", m.get(fb, n_freqs * n_mels));
                   return o;
                 }});
}

}  // namespace

void add_spectral_cases(std::vector<Case>& out) {
  add_stft(out, "n400_hop200_centred", stft_args(2, 1001, 400, 200, true));  // 6 frames: pairs on the CPU
  add_stft(out, "n97_hop31_uncentred", stft_args(1, 300, 97, 31, false));    // prime length, 7 frames
  add_stft(out, "n12_hop5_centred", stft_args(3, 41, 12, 5, true));          // radix 4 x 3, 9 frames
  nn::StftArgs frame_major = stft_args(2, 1001, 400, 200, true);
  frame_major.frames_major = true;  // the layout melSpectrogram projects with one GEMM
  add_stft(out, "n400_hop200_frames_major", frame_major);
  add_filterbank(out, "htk_8k", 201, 128, 8000.0, 0.0, 4000.0);
  add_filterbank(out, "htk_16k_band", 49, 20, 16000.0, 50.0, 3000.0);
  for (float top_db : {0.f, 30.f}) {
    out.push_back({std::string("power_to_db/") + (top_db > 0 ? "top_db" : "plain"), kDecibels, [top_db](Backend& b) {
                     Mem m(b);
                     std::vector<float> x = uniform(3 * 517, 0.f, 2.f, 92);
                     for (size_t i = 0; i < x.size(); i += 7) x[i] *= 1e-9f;  // below amin and deep in the floor
                     const float* xp = m.in(x);
                     float* y = m.out<float>(x.size());
                     b.power_to_db(xp, y, 3, 517, 1e-10f, top_db);
                     Outputs o;
                     o.add("y", m.get(y, x.size()));
                     return o;
                   }});
  }
}

}  // namespace kt
