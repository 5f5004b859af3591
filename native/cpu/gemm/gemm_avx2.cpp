// AVX2+FMA pieces of the CPU GEMM: the 6x16 micro-kernels (gemm_tile.h over simd::Avx2) and the
// packers (whose transposed cases are the packing loops that are slow in scalar code; the AVX-512
// kernels use them too). Compiled with -mavx2 -mfma and reached only after gemm.cpp has checked
// the CPU at run time.
#include <immintrin.h>

#include <cstring>

#include "../simd/vec_traits.h"
#include "gemm_kernels.h"
#include "gemm_tile.h"
#include "transpose8_avx2.h"

namespace nn::cpu::gemm_detail {

void pack_b_avx2(bool trans, const float* B, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float* out) {
  for (int64_t j = 0; j < nc; j += kNR, out += kc * kNR) {
    const int64_t nr = nc - j < kNR ? nc - j : kNR;
    if (!trans) {
      const float* src = B + p0 * ldb + j0 + j;
      if (nr == kNR) {
        // Row by row across every full panel at once: B is read sequentially instead of one
        // 64-byte piece per row (a new page per row when ldb is large).
        const int64_t full = (nc - j) / kNR;
        for (int64_t p = 0; p < kc; ++p) {
          const float* s = src + p * ldb;
          float* o = out + p * kNR;
          for (int64_t q = 0; q < full; ++q) {
            _mm256_store_ps(o + q * kc * kNR, _mm256_loadu_ps(s + q * kNR));
            _mm256_store_ps(o + q * kc * kNR + 8, _mm256_loadu_ps(s + q * kNR + 8));
          }
        }
        out += (full - 1) * kc * kNR;
        j += (full - 1) * kNR;
      } else {
        for (int64_t p = 0; p < kc; ++p) {
          float* o = out + p * kNR;
          for (int64_t c = 0; c < nr; ++c) o[c] = src[p * ldb + c];
          for (int64_t c = nr; c < kNR; ++c) o[c] = 0.f;
        }
      }
      continue;
    }
    // op(B)[p, j] = B[j, p]: column j of op(B) is a contiguous run of B's row j.
    const float* src = B + (j0 + j) * ldb + p0;
    int64_t p = 0;
    if (nr == kNR) {
      for (; p + 8 <= kc; p += 8) {
        for (int h = 0; h < 2; ++h) {
          __m256 r[8];
          for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + (h * 8 + i) * ldb + p);
          avx2::transpose8(r);
          for (int i = 0; i < 8; ++i) _mm256_store_ps(out + (p + i) * kNR + h * 8, r[i]);
        }
      }
    }
    for (; p < kc; ++p) {
      float* o = out + p * kNR;
      for (int64_t c = 0; c < nr; ++c) o[c] = src[c * ldb + p];
      for (int64_t c = nr; c < kNR; ++c) o[c] = 0.f;
    }
  }
}

void pack_a_avx2(bool trans, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* out) {
  for (int64_t i = 0; i < mc; i += kMR, out += kc * kMR) {
    const int64_t mr = mc - i < kMR ? mc - i : kMR;
    int64_t p = 0;
    if (!trans) {
      const float* src = A + (i0 + i) * lda + p0;
      if (mr == kMR) {
        // 8 steps of 6 rows at a time through an 8x8 transpose. Each 8-float store spills two
        // floats past its 6, which the next store (or the next panel, or the buffer's slack)
        // overwrites, so stores must go in increasing order.
        for (; p + 8 <= kc; p += 8) {
          // Six short row pieces lda apart are too many streams for the hardware prefetchers:
          // ask for the next panel's rows a line at a time.
          if (p % 16 == 0)
            for (int q = 0; q < kMR; ++q)
              _mm_prefetch(reinterpret_cast<const char*>(src + (kMR + q) * lda + p), _MM_HINT_T0);
          __m256 r[8];
          for (int q = 0; q < kMR; ++q) r[q] = _mm256_loadu_ps(src + q * lda + p);
          r[6] = r[7] = _mm256_setzero_ps();
          avx2::transpose8(r);
          for (int q = 0; q < 8; ++q) _mm256_storeu_ps(out + (p + q) * kMR, r[q]);
        }
      }
      for (; p < kc; ++p) {
        float* o = out + p * kMR;
        for (int64_t q = 0; q < mr; ++q) o[q] = src[q * lda + p];
        for (int64_t q = mr; q < kMR; ++q) o[q] = 0.f;
      }
    } else {
      const float* src = A + p0 * lda + i0 + i;
      if (mr == kMR) {
        // op(A)[i, p] = A[p, i]: step p of every full panel is one contiguous run of A's row p, so
        // the row is read across all of them at once instead of 24 bytes per row and panel (a new
        // page per row when lda is large, and every line read again for the next panel).
        const int64_t full = (mc - i) / kMR;
        for (; p < kc; ++p) {
          const float* s = src + p * lda;
          float* o = out + p * kMR;
          // Rows are lda apart, too far for the hardware prefetchers to follow: ask for a later one.
          for (int64_t x = 0; x < full * kMR; x += 16)
            _mm_prefetch(reinterpret_cast<const char*>(s + 8 * lda + x), _MM_HINT_T0);
          for (int64_t q = 0; q < full; ++q) std::memcpy(o + q * kc * kMR, s + q * kMR, sizeof(float) * kMR);
        }
        out += (full - 1) * kc * kMR;
        i += (full - 1) * kMR;
        continue;
      }
      for (; p < kc; ++p) {
        float* o = out + p * kMR;
        const float* s = src + p * lda;
        for (int64_t q = 0; q < mr; ++q) o[q] = s[q];
        for (int64_t q = mr; q < kMR; ++q) o[q] = 0.f;
      }
    }
  }
}

Kernels kernels_avx2() { return TileOps<simd::Avx2>::kernels(pack_a_avx2, pack_b_avx2); }

}  // namespace nn::cpu::gemm_detail
