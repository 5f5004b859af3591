// AVX2+FMA pieces of the CPU GEMM: the 6x16 micro-kernel and the B packer (whose transposed
// case is the one packing loop that is slow in scalar code). Compiled with -mavx2 -mfma and
// reached only after gemm.cpp has checked the CPU at run time.
#include <immintrin.h>

#include <cstring>

#include "gemm_kernels.h"
#include "transpose8_avx2.h"

namespace nn::cpu::gemm_detail {

namespace {

// The 6x16 tile of kc packed steps in 12 accumulators.
struct Tile {
  __m256 c[kMR][2];
};

inline void zero(Tile& t) {
  for (int r = 0; r < kMR; ++r) t.c[r][0] = t.c[r][1] = _mm256_setzero_ps();
}

// t += A micro-panel * B panel over kc steps.
inline void accumulate(int64_t kc, const float* a, const float* b, Tile& t) {
  __m256 c00 = t.c[0][0], c01 = t.c[0][1], c10 = t.c[1][0], c11 = t.c[1][1], c20 = t.c[2][0], c21 = t.c[2][1];
  __m256 c30 = t.c[3][0], c31 = t.c[3][1], c40 = t.c[4][0], c41 = t.c[4][1], c50 = t.c[5][0], c51 = t.c[5][1];

#define NN_GEMM_STEP(off)                                \
  {                                                      \
    const __m256 b0 = _mm256_load_ps(b + (off)*kNR);     \
    const __m256 b1 = _mm256_load_ps(b + (off)*kNR + 8); \
    __m256 av = _mm256_broadcast_ss(a + (off)*kMR + 0);  \
    c00 = _mm256_fmadd_ps(av, b0, c00);                  \
    c01 = _mm256_fmadd_ps(av, b1, c01);                  \
    av = _mm256_broadcast_ss(a + (off)*kMR + 1);         \
    c10 = _mm256_fmadd_ps(av, b0, c10);                  \
    c11 = _mm256_fmadd_ps(av, b1, c11);                  \
    av = _mm256_broadcast_ss(a + (off)*kMR + 2);         \
    c20 = _mm256_fmadd_ps(av, b0, c20);                  \
    c21 = _mm256_fmadd_ps(av, b1, c21);                  \
    av = _mm256_broadcast_ss(a + (off)*kMR + 3);         \
    c30 = _mm256_fmadd_ps(av, b0, c30);                  \
    c31 = _mm256_fmadd_ps(av, b1, c31);                  \
    av = _mm256_broadcast_ss(a + (off)*kMR + 4);         \
    c40 = _mm256_fmadd_ps(av, b0, c40);                  \
    c41 = _mm256_fmadd_ps(av, b1, c41);                  \
    av = _mm256_broadcast_ss(a + (off)*kMR + 5);         \
    c50 = _mm256_fmadd_ps(av, b0, c50);                  \
    c51 = _mm256_fmadd_ps(av, b1, c51);                  \
  }

  int64_t p = 0;
  for (; p + 4 <= kc; p += 4) {
    _mm_prefetch(reinterpret_cast<const char*>(a + 64), _MM_HINT_T0);
    NN_GEMM_STEP(0)
    NN_GEMM_STEP(1)
    NN_GEMM_STEP(2)
    NN_GEMM_STEP(3)
    a += 4 * kMR;
    b += 4 * kNR;
  }
  for (; p < kc; ++p) {
    NN_GEMM_STEP(0)
    a += kMR;
    b += kNR;
  }
#undef NN_GEMM_STEP
  t.c[0][0] = c00;
  t.c[0][1] = c01;
  t.c[1][0] = c10;
  t.c[1][1] = c11;
  t.c[2][0] = c20;
  t.c[2][1] = c21;
  t.c[3][0] = c30;
  t.c[3][1] = c31;
  t.c[4][0] = c40;
  t.c[4][1] = c41;
  t.c[5][0] = c50;
  t.c[5][1] = c51;
}

}  // namespace

namespace {

// C[0:m, 0:n] = alpha * t + beta * C (beta == 0: C is not read).
inline void store(const Tile& t, float* c, int64_t ldc, int m, int n, float alpha, float beta) {
  const bool full = m == kMR && n == kNR;
  // Partial tiles go through a full-size scratch tile so they use exactly the vector
  // operations of full ones (same rounding, no FMA contraction differences).
  alignas(32) float tmp[kMR * kNR];
  float* out = c;
  int64_t ldo = ldc;
  if (!full) {
    out = tmp;
    ldo = kNR;
    // beta == 0 overwrites the whole scratch tile; otherwise it is read, so it starts from C's
    // rows and zeros (no memset call: its start-up costs more than this tile).
    if (beta != 0.f)
      for (int r = 0; r < kMR; ++r) {
        _mm256_store_ps(tmp + r * kNR, _mm256_setzero_ps());
        _mm256_store_ps(tmp + r * kNR + 8, _mm256_setzero_ps());
        if (r < m)
          for (int j = 0; j < n; ++j) tmp[r * kNR + j] = c[r * ldc + j];
      }
  }
  const __m256 va = _mm256_set1_ps(alpha);
  if (beta == 0.f) {
    for (int r = 0; r < kMR; ++r) {
      _mm256_storeu_ps(out + r * ldo, _mm256_mul_ps(va, t.c[r][0]));
      _mm256_storeu_ps(out + r * ldo + 8, _mm256_mul_ps(va, t.c[r][1]));
    }
  } else {
    const __m256 vb = _mm256_set1_ps(beta);
    for (int r = 0; r < kMR; ++r) {
      _mm256_storeu_ps(out + r * ldo,
                       _mm256_fmadd_ps(va, t.c[r][0], _mm256_mul_ps(vb, _mm256_loadu_ps(out + r * ldo))));
      _mm256_storeu_ps(out + r * ldo + 8,
                       _mm256_fmadd_ps(va, t.c[r][1], _mm256_mul_ps(vb, _mm256_loadu_ps(out + r * ldo + 8))));
    }
  }
  if (!full)
    for (int r = 0; r < m; ++r) std::memcpy(c + r * ldc, tmp + r * kNR, sizeof(float) * n);
}

inline void prefetch_c(float* c, int64_t ldc, int m, int n) {
  if (m == kMR && n == kNR)  // the tile is written at the end: start pulling it in now
    for (int r = 0; r < kMR; ++r) {
      _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + kNR - 1), _MM_HINT_T0);
    }
}

}  // namespace

void micro_kernel_avx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int m, int n, float alpha,
                       float beta) {
  prefetch_c(c, ldc, m, n);
  Tile t;
  zero(t);
  accumulate(kc, a, b, t);
  store(t, c, ldc, m, n, alpha, beta);
}

void micro_kernel_ranges_avx2(int nranges, const float* const* a, const int64_t* kc, const float* b, float* c,
                              int64_t ldc, int m, int n, float beta) {
  prefetch_c(c, ldc, m, n);
  Tile t;
  zero(t);
  for (int i = 0; i < nranges; ++i) {
    accumulate(kc[i], a[i], b, t);
    b += kc[i] * kNR;
  }
  store(t, c, ldc, m, n, 1.f, beta);
}

void micro_kernel_rows_avx2(int64_t kc, const float* a, const float* b, float* const* rows, int m, int n) {
  Tile t;
  zero(t);
  accumulate(kc, a, b, t);
  if (n == kNR) {
    for (int r = 0; r < m; ++r) {
      float* o = rows[r];
      _mm256_storeu_ps(o, _mm256_add_ps(_mm256_loadu_ps(o), t.c[r][0]));
      _mm256_storeu_ps(o + 8, _mm256_add_ps(_mm256_loadu_ps(o + 8), t.c[r][1]));
    }
    return;
  }
  alignas(32) float tmp[kNR];
  for (int r = 0; r < m; ++r) {
    _mm256_store_ps(tmp, t.c[r][0]);
    _mm256_store_ps(tmp + 8, t.c[r][1]);
    for (int j = 0; j < n; ++j) rows[r][j] += tmp[j];
  }
}

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
      for (; p < kc; ++p) {
        float* o = out + p * kMR;
        const float* s = src + p * lda;
        for (int64_t q = 0; q < mr; ++q) o[q] = s[q];
        for (int64_t q = mr; q < kMR; ++q) o[q] = 0.f;
      }
    }
  }
}

}  // namespace nn::cpu::gemm_detail
