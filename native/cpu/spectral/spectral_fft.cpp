// Mixed-radix Stockham FFT (see spectral_fft.h): dedicated butterflies for radix 2, 3, 4 and 5,
// a direct DFT for larger primes. Stage with radix p on a length-n sub-transform
// at stride s: for q < m = n / p and k < s,
//   y[k + s (p q + j)] = w_n^(q j) * sum_r x[k + s (q + r m)] w_p^(r j),   j < p,
// then n <- m, s <- s p. The output of the last stage is in natural order (no bit reversal).
#include "spectral_fft.h"

#include <cmath>
#include <map>
#include <memory>
#include <mutex>

namespace nn::cpu {
namespace {

constexpr double kTwoPi = 6.283185307179586476925286766559;

Complex polar_unit(double angle) { return {static_cast<float>(std::cos(angle)), static_cast<float>(std::sin(angle))}; }

inline Complex mul(Complex a, Complex b) { return {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re}; }

std::vector<int> factorize(int64_t n) {
  std::vector<int> f;
  while (n % 4 == 0) f.push_back(4), n /= 4;
  while (n % 2 == 0) f.push_back(2), n /= 2;
  for (int64_t p = 3; p * p <= n; p += 2)
    while (n % p == 0) f.push_back(static_cast<int>(p)), n /= p;
  if (n > 1) f.push_back(static_cast<int>(n));
  return f;
}

void radix2(const Complex* x, Complex* y, int64_t m, int64_t s, const Complex* tw) {
  for (int64_t q = 0; q < m; ++q) {
    const Complex w = tw[q];
    for (int64_t k = 0; k < s; ++k) {
      Complex a = x[k + s * q], b = x[k + s * (q + m)];
      y[k + s * (2 * q)] = {a.re + b.re, a.im + b.im};
      y[k + s * (2 * q + 1)] = mul({a.re - b.re, a.im - b.im}, w);
    }
  }
}

void radix4(const Complex* x, Complex* y, int64_t m, int64_t s, const Complex* tw) {
  for (int64_t q = 0; q < m; ++q) {
    const Complex w1 = tw[3 * q], w2 = tw[3 * q + 1], w3 = tw[3 * q + 2];
    for (int64_t k = 0; k < s; ++k) {
      Complex a0 = x[k + s * q], a1 = x[k + s * (q + m)], a2 = x[k + s * (q + 2 * m)], a3 = x[k + s * (q + 3 * m)];
      Complex t0{a0.re + a2.re, a0.im + a2.im}, t1{a0.re - a2.re, a0.im - a2.im};
      Complex t2{a1.re + a3.re, a1.im + a3.im}, t3{a1.re - a3.re, a1.im - a3.im};
      // -i * t3 for the forward transform
      Complex t3j{t3.im, -t3.re};
      y[k + s * (4 * q)] = {t0.re + t2.re, t0.im + t2.im};
      y[k + s * (4 * q + 1)] = mul({t1.re + t3j.re, t1.im + t3j.im}, w1);
      y[k + s * (4 * q + 2)] = mul({t0.re - t2.re, t0.im - t2.im}, w2);
      y[k + s * (4 * q + 3)] = mul({t1.re - t3j.re, t1.im - t3j.im}, w3);
    }
  }
}

// -i * u, the forward transform's quarter turn.
inline Complex minus_i(Complex u) { return {u.im, -u.re}; }
inline Complex add(Complex a, Complex b) { return {a.re + b.re, a.im + b.im}; }
inline Complex sub(Complex a, Complex b) { return {a.re - b.re, a.im - b.im}; }
inline Complex scale(Complex a, float f) { return {a.re * f, a.im * f}; }

void radix3(const Complex* x, Complex* y, int64_t m, int64_t s, const Complex* tw) {
  const float s1 = 0.866025403784438647f;  // sin(2 pi / 3)
  for (int64_t q = 0; q < m; ++q) {
    const Complex w1 = tw[2 * q], w2 = tw[2 * q + 1];
    for (int64_t k = 0; k < s; ++k) {
      Complex a0 = x[k + s * q], a1 = x[k + s * (q + m)], a2 = x[k + s * (q + 2 * m)];
      Complex t1 = add(a1, a2), t2 = minus_i(scale(sub(a1, a2), s1));
      Complex b = sub(a0, scale(t1, 0.5f));
      y[k + s * (3 * q)] = add(a0, t1);
      y[k + s * (3 * q + 1)] = mul(add(b, t2), w1);
      y[k + s * (3 * q + 2)] = mul(sub(b, t2), w2);
    }
  }
}

void radix5(const Complex* x, Complex* y, int64_t m, int64_t s, const Complex* tw) {
  const float c1 = 0.309016994374947424f, c2 = -0.809016994374947424f;  // cos(2 pi / 5), cos(4 pi / 5)
  const float s1 = 0.951056516295153572f, s2 = 0.587785252292473129f;   // sin(2 pi / 5), sin(4 pi / 5)
  for (int64_t q = 0; q < m; ++q) {
    const Complex* w = tw + 4 * q;
    for (int64_t k = 0; k < s; ++k) {
      Complex a0 = x[k + s * q], a1 = x[k + s * (q + m)], a2 = x[k + s * (q + 2 * m)];
      Complex a3 = x[k + s * (q + 3 * m)], a4 = x[k + s * (q + 4 * m)];
      Complex t1 = add(a1, a4), t2 = add(a2, a3), t3 = sub(a1, a4), t4 = sub(a2, a3);
      Complex b1 = add(a0, add(scale(t1, c1), scale(t2, c2)));
      Complex b2 = add(a0, add(scale(t1, c2), scale(t2, c1)));
      Complex r1 = minus_i(add(scale(t3, s1), scale(t4, s2)));
      Complex r2 = minus_i(sub(scale(t3, s2), scale(t4, s1)));
      y[k + s * (5 * q)] = add(a0, add(t1, t2));
      y[k + s * (5 * q + 1)] = mul(add(b1, r1), w[0]);
      y[k + s * (5 * q + 2)] = mul(add(b2, r2), w[1]);
      y[k + s * (5 * q + 3)] = mul(sub(b2, r2), w[2]);
      y[k + s * (5 * q + 4)] = mul(sub(b1, r1), w[3]);
    }
  }
}

// Any radix p (odd primes in practice): a direct p-point DFT with the roots w_p^r.
void radix_generic(const Complex* x, Complex* y, int p, int64_t m, int64_t s, const Complex* tw, const Complex* roots) {
  Complex a[64];
  std::vector<Complex> big;
  Complex* in = a;
  if (p > 64) {
    big.resize(static_cast<size_t>(p));
    in = big.data();
  }
  for (int64_t q = 0; q < m; ++q) {
    for (int64_t k = 0; k < s; ++k) {
      for (int r = 0; r < p; ++r) in[r] = x[k + s * (q + r * m)];
      for (int j = 0; j < p; ++j) {
        float re = 0.f, im = 0.f;
        int idx = 0;  // (r * j) mod p
        for (int r = 0; r < p; ++r) {
          const Complex w = roots[idx];
          re += in[r].re * w.re - in[r].im * w.im;
          im += in[r].re * w.im + in[r].im * w.re;
          idx += j;
          if (idx >= p) idx -= p;
        }
        Complex b{re, im};
        y[k + s * (p * q + j)] = j == 0 ? b : mul(b, tw[q * (p - 1) + (j - 1)]);
      }
    }
  }
}

}  // namespace

FftPlan::FftPlan(int64_t n) : n_(n) {
  int64_t len = n, stride = 1;
  std::map<int, size_t> root_offsets;
  for (int p : factorize(n)) {
    Stage st;
    st.radix = p;
    st.m = len / p;
    st.stride = stride;
    st.twiddle = twiddles_.size();
    for (int64_t q = 0; q < st.m; ++q)
      for (int j = 1; j < p; ++j)
        twiddles_.push_back(polar_unit(-kTwoPi * static_cast<double>(q * j) / static_cast<double>(len)));
    auto it = root_offsets.find(p);
    if (it == root_offsets.end()) {
      it = root_offsets.emplace(p, roots_.size()).first;
      for (int r = 0; r < p; ++r) roots_.push_back(polar_unit(-kTwoPi * r / p));
    }
    st.roots = it->second;
    stages_.push_back(st);
    len = st.m;
    stride *= p;
  }
}

void FftPlan::forward(Complex* data, Complex* work) const {
  Complex* x = data;
  Complex* y = work;
  for (const Stage& st : stages_) {
    const Complex* tw = twiddles_.data() + st.twiddle;
    if (st.radix == 4)
      radix4(x, y, st.m, st.stride, tw);
    else if (st.radix == 2)
      radix2(x, y, st.m, st.stride, tw);
    else if (st.radix == 5)
      radix5(x, y, st.m, st.stride, tw);
    else if (st.radix == 3)
      radix3(x, y, st.m, st.stride, tw);
    else
      radix_generic(x, y, st.radix, st.m, st.stride, tw, roots_.data() + st.roots);
    Complex* t = x;
    x = y;
    y = t;
  }
  if (x != data)
    for (int64_t i = 0; i < n_; ++i) data[i] = x[i];
}

const FftPlan& fft_plan(int64_t n) {
  static std::mutex mu;
  static std::map<int64_t, std::unique_ptr<FftPlan>> plans;
  std::lock_guard<std::mutex> lock(mu);
  auto& p = plans[n];
  if (!p) p = std::make_unique<FftPlan>(n);
  return *p;
}

}  // namespace nn::cpu
