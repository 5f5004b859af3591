// tanh and sigmoid in float, written once over a "lanes" type L so that every backend runs the
// same operations: the scalar functions at the end (the CPU's portable path, the CUDA kernels,
// the simulator) instantiate the templates with ScalarLanes, and the AVX2 / AVX-512 kernels
// (cpu/activation/) with their vector traits (cpu/simd/vec_traits.h). Every multiply-add is an
// explicit fma and no other product feeds an addition, so no compiler's contraction can change a
// result: all paths give the same bits.
//
// Error against the double-precision functions, the largest over all 2^32 floats: tanh 1.38 ulp,
// sigmoid 2.41 ulp (glibc's tanhf reaches 2.17 ulp). Both are exact at +-0 (tanh keeps the sign),
// saturate to exactly +-1 (tanh) and 0 / 1 (sigmoid) at +-inf and well before, round sigmoid's
// subnormal results once (to 0 from -103.98 down), and pass NaN. test/ops/activation-math.test.ts
// checks all of that.
//
// L provides: F (a float or a vector of them), B (a comparison's result), set1(float), fma,
// abs, min(c, x) = c < x ? c : x (x when x is NaN), lt(a, b) = a < b, select(b, p, q) = b ? p : q,
// copysign(magnitude, sign), pow2(t, bias) (below), and F's + - * / (each rounded once).
#pragma once
#include <cmath>
#include <cstdint>

#include "hd.h"

namespace nn {

struct ScalarLanes {
  using F = float;
  using B = bool;
  static NN_HD float set1(float v) { return v; }
  static NN_HD float fma(float a, float b, float c) { return fmaf(a, b, c); }
  static NN_HD float abs(float a) { return fabsf(a); }
  static NN_HD float min(float c, float x) { return c < x ? c : x; }
  static NN_HD bool lt(float a, float b) { return a < b; }
  static NN_HD float select(bool b, float p, float q) { return b ? p : q; }
  static NN_HD float copysign(float m, float s) { return copysignf(m, s); }
  // 2^(n + bias) for the n that exp_reduced left in t's low mantissa bits (t = 1.5 * 2^23 + n, so
  // t's bits are those of 1.5 * 2^23 plus n; the shift drops the constant's own bits).
  static NN_HD float pow2(float t, uint32_t bias) { return bits_float((float_bits(t) + 127u + bias) << 23); }
};

// e^x = p * 2^n for |x| <= 104: returns p = e^r, r = x - n ln2 in [-ln2/2, ln2/2], and leaves n
// in t for L::pow2. n = round(x / ln2) by the 1.5 * 2^23 constant (no float -> int conversion,
// whose NaN case C++ leaves undefined); ln2 in two parts, the first exact in 9 bits, so n * hi
// is exact; p by Cephes' expf polynomial (degree 7), Horner with fma to the constant term.
// Relative error of p * 2^n below 1 ulp.
template <class L>
NN_HD typename L::F exp_reduced(typename L::F x, typename L::F& t) {
  using F = typename L::F;
  const F magic = L::set1(12582912.f);
  t = L::fma(x, L::set1(1.44269504088896341f), magic);
  const F n = t - magic;
  F r = L::fma(n, L::set1(-0.693359375f), x);
  r = L::fma(n, L::set1(2.12194440e-4f), r);
  F p = L::set1(1.9875691500e-4f);
  p = L::fma(p, r, L::set1(1.3981999507e-3f));
  p = L::fma(p, r, L::set1(8.3334519073e-3f));
  p = L::fma(p, r, L::set1(4.1665795894e-2f));
  p = L::fma(p, r, L::set1(1.6666665459e-1f));
  p = L::fma(p, r, L::set1(5.0000001201e-1f));
  p = L::fma(p, r, L::set1(1.f));
  return L::fma(p, r, L::set1(1.f));
}

// tanh(x) = sign(x) tanh(a), a = |x| (odd, so -0 stays -0). Below 0.625 the odd polynomial
// a + a^3 P(a^2) (Cephes' tanhf), which has no cancellation near 0; above, 1 - 2 / (e^(2a) + 1),
// with a capped at 16 (the result is exactly 1 from 9.1 on; the cap keeps e^(2a) finite and lets
// NaN through). Both branches are computed and one selected, as vector lanes must.
template <class L>
NN_HD typename L::F tanh_lanes(typename L::F x) {
  using F = typename L::F;
  const F a = L::abs(x);
  const F z = a * a;
  F s = L::set1(-5.70498872745e-3f);
  s = L::fma(s, z, L::set1(2.06390887954e-2f));
  s = L::fma(s, z, L::set1(-5.37397155531e-2f));
  s = L::fma(s, z, L::set1(1.33314422036e-1f));
  s = L::fma(s, z, L::set1(-3.33332819422e-1f));
  const F small = L::fma(a * z, s, a);
  const F a16 = L::min(L::set1(16.f), a);
  F t;
  const F p = exp_reduced<L>(a16 + a16, t);
  const F large = L::set1(1.f) - L::set1(2.f) / L::fma(p, L::pow2(t, 0u), L::set1(1.f));
  return L::copysign(L::select(L::lt(a, L::set1(0.625f)), small, large), x);
}

// sigmoid(x) from e = e^-|x|: 1 / (1 + e) for x >= 0, e / (1 + e) for x < 0; one division, no
// overflow, no cancellation. |x| is capped at 104, where e has rounded to 0 (from 103.98 on).
// e = p * 2^n has n down to -150, below the normal range: 2^(n + 64) is normal and p * 2^(n + 64)
// exact, so the one rounding is the product by 2^-64, to the subnormal where it belongs.
template <class L>
NN_HD typename L::F sigmoid_lanes(typename L::F x) {
  using F = typename L::F;
  const F a = L::min(L::set1(104.f), L::abs(x));
  F t;
  const F p = exp_reduced<L>(-a, t);
  const F ps = p * L::pow2(t, 64u);
  const F k = L::set1(0x1p-64f);
  const F num = L::select(L::lt(x, L::set1(0.f)), ps * k, L::set1(1.f));
  return num / L::fma(ps, k, L::set1(1.f));
}

NN_HD float tanh_f(float x) { return tanh_lanes<ScalarLanes>(x); }
NN_HD float sigmoid_f(float x) { return sigmoid_lanes<ScalarLanes>(x); }

}  // namespace nn
