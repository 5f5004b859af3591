#include "conv_bww3x3.h"
#include "../../core/flags.h"

#include <algorithm>
#include <cstdlib>

#include "../simd/simd.h"

// Built on x86 only: its kernels are the *_avx2.cpp / *_avx512.cpp files (simd.h).
#if NNLAB_X86_KERNELS

namespace nn::cpu {

// NNLAB_NO_BWW3X3=1 turns it off, for A/B timing against the gathered GEMM. One image's
// transposed dy must fit 16 MB (a task holds at least one): larger maps take the gathered GEMM,
// whose scratch does not grow with the image.
bool bww3x3_apply(const Conv2dArgs& a) {
  const bool off = flags().no_bww3x3;
  const int64_t kg = a.k / a.groups;
  return !off && use_avx2() && a.r == 3 && a.s == 3 && a.stride_h == 1 && a.stride_w == 1 && a.dil_h == 1 &&
         a.dil_w == 1 && kg >= 16 && a.oh * a.ow * ((kg + 15) / 16 * 16) <= (int64_t(1) << 22);
}

// A block's transposed dy stays within 512 KB, in L2 while every input channel reads it.
Bww3x3Scratch::Bww3x3Scratch(const ConvPlan& p) : kp((p.kg + 15) / 16 * 16) {
  const int64_t per_img = std::max<int64_t>(1, p.ohw * kp);
  imgs = std::max<int64_t>(1, std::min<int64_t>(p.n, (int64_t(512) << 10) / 4 / per_img));
  dyt = AlignedFloats(imgs * per_img);
}

void backward_weight_3x3(const ConvPlan& p, const LoweredInput& x, const float* dy, int64_t n0, int64_t n1, float* acc,
                         Bww3x3Scratch& s) {
  const Conv2dArgs& a = p.a;
  const int64_t Q = p.ohw, K = p.kg, C = p.cg, J = p.crs, kp = s.kp;
  std::fill_n(acc, a.k * J, 0.f);
  const auto tile_fn = use_avx512() ? bww3x3_tile_avx512 : bww3x3_tile_avx2;
  const auto transpose = use_avx512() ? bww3x3_transpose_avx512 : bww3x3_transpose_avx2;
  alignas(64) float tile[9 * 32];
  float* dyt = s.dyt.get();
  for (int64_t b0 = n0; b0 < n1; b0 += s.imgs) {
    const int64_t nb = std::min(s.imgs, n1 - b0);
    for (int64_t g = 0; g < a.groups; ++g) {
      // dy of the group's channels, position-major; the columns past K stay zero.
      for (int64_t b = 0; b < nb; ++b) transpose(dy + ((b0 + b) * a.k + g * K) * Q, K, Q, dyt + b * Q * kp, kp);
      for (int64_t c = 0; c < C; ++c) {
        // Stride 1: tap (r, s) of channel c lies at rows[c*9] + r*roww + s of the lowered input.
        const float* xc = x.base + b0 * x.img + x.rows[(g * C + c) * 9];
        for (int64_t k0 = 0; k0 < K; k0 += 32) {
          const int kw = kp - k0 >= 32 ? 32 : 16;
          tile_fn(Bww3x3Tile{xc, x.roww, x.img, dyt + k0, kp, nb, a.oh, a.ow}, kw, tile);
          const int64_t nk = std::min<int64_t>(kw, K - k0);
          float* out = acc + (g * K + k0) * J + c * 9;
          for (int64_t l = 0; l < nk; ++l)
            for (int tap = 0; tap < 9; ++tap) out[l * J + tap] += tile[tap * kw + l];
        }
      }
    }
  }
}

}  // namespace nn::cpu

#endif  // NNLAB_X86_KERNELS
