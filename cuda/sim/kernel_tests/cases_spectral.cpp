// Runners of the spectral ops: the STFT (complex and power, centred with reflect padding or not,
// both output layouts), the mel filter bank, and power to decibels. The CUDA STFT is a direct
// DFT and the CPU's an FFT, so they agree to float rounding of sums of n_fft terms (the table's
// "spectral" tolerance), not bit for bit.
#include <string>

#include "../../../native/kernels/spectral_math.h"
#include "harness.h"

namespace kt {

void add_spectral_runners(Runners& r) {
  // x [batch, length] framed by a periodic Hann window of n_fft.
  r["stft"] = [](Backend& b, const Entry& e) {
    nn::StftArgs a{};
    a.batch = e.dim("x", 0), a.length = e.dim("x", 1), a.n_fft = e.i("n_fft"), a.hop = e.i("hop");
    a.center = e.flag("center"), a.frames_major = e.flag("frames_major");
    a.bins = a.n_fft / 2 + 1;
    a.frames = a.center ? 1 + a.length / a.hop : 1 + (a.length - a.n_fft) / a.hop;
    const bool power = e.flag("power");
    std::vector<float> window(static_cast<size_t>(a.n_fft));
    for (int64_t i = 0; i < a.n_fft; ++i) window[i] = nn::hann_periodic(i, a.n_fft);
    Mem m(b);
    const float *x = m.in(uniform(a.batch * a.length, -1.f, 1.f, 91)), *w = m.in(window);
    const size_t n = static_cast<size_t>(a.batch * a.bins * a.frames * (power ? 1 : 2));
    float* y = m.out<float>(n);
    b.stft(a, x, w, y, power);
    return Outputs::of("y", m.get(y, n));
  };
  // fb [n_freqs, n_mels].
  r["mel_filterbank"] = [](Backend& b, const Entry& e) {
    const int64_t n_freqs = e.dim("fb", 0), n_mels = e.dim("fb", 1);
    Mem m(b);
    float* fb = m.out<float>(n_freqs * n_mels);
    b.mel_filterbank(fb, n_freqs, n_mels, e.num("sample_rate"), e.num("f_min"), e.num("f_max"));
    return Outputs::of("fb", m.get(fb, n_freqs * n_mels));
  };
  // x [rows, cols]; every 7th input below amin and deep in the floor.
  r["power_to_db"] = [](Backend& b, const Entry& e) {
    const int64_t rows = e.dim("x", 0), cols = e.dim("x", 1);
    std::vector<float> x = uniform(rows * cols, 0.f, 2.f, 92);
    for (size_t i = 0; i < x.size(); i += 7) x[i] *= 1e-9f;
    Mem m(b);
    const float* xp = m.in(x);
    float* y = m.out<float>(x.size());
    b.power_to_db(xp, y, rows, cols, e.f("amin"), e.f("top_db"));
    return Outputs::of("y", m.get(y, x.size()));
  };
}

}  // namespace kt
