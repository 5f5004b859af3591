// Per-element and per-row math of the softmax / cross-entropy family, shared by the CPU backend
// and the CUDA kernels.
#pragma once
#include <cmath>
#include <cstdint>

#include "hd.h"

namespace nn {

// exp(x) for x <= 0 (softmax always exponentiates x - max). Cephes' expf polynomial with the
// rounding done by the 1.5*2^23 magic constant instead of a float->int conversion, so the loop
// that calls it vectorises on baseline x86-64 (no roundps, no libm call) and NaN needs no branch.
// Relative error ~2 ulp; underflows to exactly 0 below -87 (where expf would be denormal).
NN_HD float exp_nonpos(float x) {
  const float kMagic = 12582912.f;   // 1.5 * 2^23: adding it rounds to an integer in the low bits
  float xc = x < -87.f ? -87.f : x;  // NaN compares false and stays NaN
  float t = xc * 1.44269504088896341f + kMagic;
  float n = t - kMagic;
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.f;
  // t's low mantissa bits hold n + 0x400000 (two's complement within the mantissa field).
  uint32_t ni = float_bits(t) - float_bits(kMagic);
  float scale = bits_float((ni + 127u) << 23);
  float e = p * scale;
  return x < -87.f ? 0.f : e;
}

// Per-sample cross-entropy with label smoothing ls over c classes (PyTorch's definition: the
// target is (1 - ls) * one_hot + ls / c), from the row's max m, log(sum exp(x - m)), its
// label's logit and the sum of its logits. Written as log_s + (m - x) so a large m cancels
// exactly. A row holding any non-finite logit reports NaN so the caller can name it.
NN_HD float cross_entropy_row_loss(float m, float log_s, float x_label, float sum_x, int64_t c, float ls, bool finite) {
  if (!finite) return NAN;
  float loss = log_s + (m - x_label);
  if (ls != 0.f) loss = (1.f - ls) * loss + ls * (log_s + (m - sum_x / static_cast<float>(c)));
  return loss;
}

// d loss / d logit j for probabilities p_j (the softmax of the row).
NN_HD float cross_entropy_grad(float p, bool is_label, int64_t c, float ls) {
  float target = (is_label ? 1.f - ls : 0.f) + ls / static_cast<float>(c);
  return p - target;
}

}  // namespace nn
