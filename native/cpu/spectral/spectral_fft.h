// A complex FFT of any length for the CPU backend's STFT: mixed-radix Stockham autosort
// (radix 4, 2, 3, 5 and a generic odd-prime butterfly), so n_fft = 400 (2^4 * 5^2) needs no
// padding to a power of two. Plans are built once per length and shared between threads.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace nn::cpu {

struct Complex {
  float re, im;
};

class FftPlan {
 public:
  explicit FftPlan(int64_t n);
  int64_t size() const { return n_; }
  // Forward transform X[k] = sum_j x[j] exp(-2 pi i j k / n) of `data` (n values); `work` is
  // scratch of n values. The result is left in `data`.
  void forward(Complex* data, Complex* work) const;

 private:
  struct Stage {
    int radix;
    int64_t m, stride;  // sub-transform length after this stage, and the element stride
    size_t twiddle;     // offset of this stage's m * (radix - 1) twiddles in twiddles_
    size_t roots;       // offset of the radix's roots of unity in roots_
  };
  int64_t n_;
  std::vector<Stage> stages_;
  std::vector<Complex> twiddles_;
  std::vector<Complex> roots_;
};

// The shared plan for length n (built on first use; thread-safe).
const FftPlan& fft_plan(int64_t n);

}  // namespace nn::cpu
