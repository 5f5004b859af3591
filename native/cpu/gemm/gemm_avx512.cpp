// AVX-512 micro-kernels of the CPU GEMM: the same 6x16 tile and packed layouts as the AVX2 ones
// (gemm_avx2.cpp; packing is shared), with one 16-lane register per row instead of two 8-lane
// ones. Every element still gets the AVX2 kernel's exact sequence of fused multiply-adds and the
// same alpha/beta epilogue, so results are bit for bit those of the AVX2 path (a test checks
// it); only the instruction count halves. Where a product has two micro-panels or two B panels
// to spare, gemm.cpp's run_tiles uses the wider tiles at the end of this file (12x32, 12x16,
// 6x32), which keep more accumulators in flight with the same per-element arithmetic.
// Compiled with -mavx512f and reached only after gemm.cpp has checked the CPU at run time.
#include <immintrin.h>

#include <cstring>

#include "gemm_kernels.h"

namespace nn::cpu::gemm_detail {

namespace {

struct Tile {
  __m512 c[kMR];
};

inline void zero(Tile& t) {
  for (int r = 0; r < kMR; ++r) t.c[r] = _mm512_setzero_ps();
}

// t += A micro-panel * B panel over kc steps.
inline void accumulate(int64_t kc, const float* a, const float* b, Tile& t) {
  __m512 c0 = t.c[0], c1 = t.c[1], c2 = t.c[2], c3 = t.c[3], c4 = t.c[4], c5 = t.c[5];
#define NN_GEMM_STEP(off)                                           \
  {                                                                 \
    const __m512 bv = _mm512_load_ps(b + (off)*kNR);                \
    c0 = _mm512_fmadd_ps(_mm512_set1_ps(a[(off)*kMR + 0]), bv, c0); \
    c1 = _mm512_fmadd_ps(_mm512_set1_ps(a[(off)*kMR + 1]), bv, c1); \
    c2 = _mm512_fmadd_ps(_mm512_set1_ps(a[(off)*kMR + 2]), bv, c2); \
    c3 = _mm512_fmadd_ps(_mm512_set1_ps(a[(off)*kMR + 3]), bv, c3); \
    c4 = _mm512_fmadd_ps(_mm512_set1_ps(a[(off)*kMR + 4]), bv, c4); \
    c5 = _mm512_fmadd_ps(_mm512_set1_ps(a[(off)*kMR + 5]), bv, c5); \
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
  t.c[0] = c0;
  t.c[1] = c1;
  t.c[2] = c2;
  t.c[3] = c3;
  t.c[4] = c4;
  t.c[5] = c5;
}

// C[0:m, 0:n] = alpha * t + beta * C (beta == 0: C is not read); partial tiles through a
// full-size scratch tile, as in the AVX2 kernel.
inline void store(const Tile& t, float* c, int64_t ldc, int m, int n, float alpha, float beta) {
  const bool full = m == kMR && n == kNR;
  alignas(64) float tmp[kMR * kNR];
  float* out = c;
  int64_t ldo = ldc;
  if (!full) {
    out = tmp;
    ldo = kNR;
    if (beta != 0.f)
      for (int r = 0; r < kMR; ++r) {
        _mm512_store_ps(tmp + r * kNR, _mm512_setzero_ps());
        if (r < m)
          for (int j = 0; j < n; ++j) tmp[r * kNR + j] = c[r * ldc + j];
      }
  }
  const __m512 va = _mm512_set1_ps(alpha);
  if (beta == 0.f) {
    for (int r = 0; r < kMR; ++r) _mm512_storeu_ps(out + r * ldo, _mm512_mul_ps(va, t.c[r]));
  } else {
    const __m512 vb = _mm512_set1_ps(beta);
    for (int r = 0; r < kMR; ++r)
      _mm512_storeu_ps(out + r * ldo, _mm512_fmadd_ps(va, t.c[r], _mm512_mul_ps(vb, _mm512_loadu_ps(out + r * ldo))));
  }
  if (!full)
    for (int r = 0; r < m; ++r) std::memcpy(c + r * ldc, tmp + r * kNR, sizeof(float) * n);
}

inline void prefetch_c(float* c, int64_t ldc, int m, int n) {
  if (m == kMR && n == kNR)
    for (int r = 0; r < kMR; ++r) {
      _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + kNR - 1), _MM_HINT_T0);
    }
}

// A full (6 * RP) x (16 * CP) tile (12x32, 12x16 or 6x32): RP A micro-panels a_step floats apart against CP B panels
// b_step floats apart. The 6x16 tile holds only 6 accumulators, fewer than the 2 FMA pipes x
// 4-cycle latency of an AVX-512 core need in flight; 12x32 holds 24 and loads 2 B vectors and
// 12 broadcasts per 24 FMAs. Each element still gets the 6x16 kernel's sequence of FMAs (zero,
// then a[p] * b[p] for p = 0..kc-1, then the epilogue), so results stay bit-identical.
template <int RP, int CP>
struct WideAcc {
  __m512 v[RP * kMR][CP];
};

template <int RP, int CP>
inline void wide_zero(WideAcc<RP, CP>& w) {
#pragma GCC unroll 12
  for (int r = 0; r < RP * kMR; ++r)
#pragma GCC unroll 2
    for (int q = 0; q < CP; ++q) w.v[r][q] = _mm512_setzero_ps();
}

// w += A panels * B panels over kc steps.
template <int RP, int CP>
inline void wide_accumulate(int64_t kc, const float* a, int64_t a_step, const float* b, int64_t b_step,
                            WideAcc<RP, CP>& w) {
  constexpr int R = RP * kMR;
  auto& acc = w.v;
  const float* a1 = a + (RP > 1 ? a_step : 0);
  const float* b1 = b + (CP > 1 ? b_step : 0);
  for (int64_t p = 0; p < kc; ++p) {
    __m512 bv[CP];
    bv[0] = _mm512_load_ps(b + p * kNR);
    if (CP > 1) bv[CP - 1] = _mm512_load_ps(b1 + p * kNR);
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) {
      const float* ar = r < kMR ? a + p * kMR + r : a1 + p * kMR + (r - kMR);
      const __m512 av = _mm512_set1_ps(*ar);
#pragma GCC unroll 2
      for (int q = 0; q < CP; ++q) acc[r][q] = _mm512_fmadd_ps(av, bv[q], acc[r][q]);
    }
  }
}

template <int RP, int CP>
inline void wide_store(const WideAcc<RP, CP>& w, float* c, int64_t ldc, float alpha, float beta);

template <int RP, int CP>
inline void wide_tile(int64_t kc, const float* a, int64_t a_step, const float* b, int64_t b_step, float* c, int64_t ldc,
                      float alpha, float beta) {
  constexpr int R = RP * kMR;
  for (int r = 0; r < R; ++r) _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
  WideAcc<RP, CP> w;
  wide_zero(w);
  wide_accumulate<RP, CP>(kc, a, a_step, b, b_step, w);
  wide_store(w, c, ldc, alpha, beta);
}

// C = alpha * w + beta * C (beta == 0: C is not read), the 6x16 kernel's epilogue.
template <int RP, int CP>
inline void wide_store(const WideAcc<RP, CP>& w, float* c, int64_t ldc, float alpha, float beta) {
  constexpr int R = RP * kMR;
  auto& acc = w.v;
  const __m512 va = _mm512_set1_ps(alpha);
  if (beta == 0.f) {
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
      for (int q = 0; q < CP; ++q) _mm512_storeu_ps(c + r * ldc + q * kNR, _mm512_mul_ps(va, acc[r][q]));
  } else {
    const __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
      for (int q = 0; q < CP; ++q) {
        float* cr = c + r * ldc + q * kNR;
        _mm512_storeu_ps(cr, _mm512_fmadd_ps(va, acc[r][q], _mm512_mul_ps(vb, _mm512_loadu_ps(cr))));
      }
  }
}

}  // namespace

void micro_kernel_avx512(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int m, int n, float alpha,
                         float beta) {
  prefetch_c(c, ldc, m, n);
  Tile t;
  zero(t);
  accumulate(kc, a, b, t);
  store(t, c, ldc, m, n, alpha, beta);
}

void micro_kernel_ranges_avx512(int nranges, const float* const* a, const int64_t* kc, const float* b, float* c,
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

void micro_kernel_rows_avx512(int64_t kc, const float* a, const float* b, float* const* rows, int m, int n) {
  Tile t;
  zero(t);
  accumulate(kc, a, b, t);
  if (n == kNR) {
    for (int r = 0; r < m; ++r) _mm512_storeu_ps(rows[r], _mm512_add_ps(_mm512_loadu_ps(rows[r]), t.c[r]));
    return;
  }
  alignas(64) float tmp[kNR];
  for (int r = 0; r < m; ++r) {
    _mm512_store_ps(tmp, t.c[r]);
    for (int j = 0; j < n; ++j) rows[r][j] += tmp[j];
  }
}

}  // namespace nn::cpu::gemm_detail

namespace nn::cpu::gemm_detail {

void micro_kernel_12x32_avx512(int64_t kc, const float* a, int64_t a_step, const float* b, int64_t b_step, float* c,
                               int64_t ldc, float alpha, float beta) {
  wide_tile<2, 2>(kc, a, a_step, b, b_step, c, ldc, alpha, beta);
}

void micro_kernel_12x16_avx512(int64_t kc, const float* a, int64_t a_step, const float* b, int64_t b_step, float* c,
                               int64_t ldc, float alpha, float beta) {
  wide_tile<2, 1>(kc, a, a_step, b, b_step, c, ldc, alpha, beta);
}

void micro_kernel_rows12_avx512(int64_t kc, const float* a, int64_t a_step, const float* b, float* const* rows) {
  WideAcc<2, 1> w;
  wide_zero(w);
  wide_accumulate<2, 1>(kc, a, a_step, b, 0, w);
  for (int r = 0; r < 2 * kMR; ++r) _mm512_storeu_ps(rows[r], _mm512_add_ps(_mm512_loadu_ps(rows[r]), w.v[r][0]));
}

void micro_kernel_rows12x32_avx512(int64_t kc, const float* a, int64_t a_step, const float* b, int64_t b_step,
                                   float* const* rows) {
  WideAcc<2, 2> w;
  wide_zero(w);
  wide_accumulate<2, 2>(kc, a, a_step, b, b_step, w);
  // Every row's left half, then every row's right half: the order of two rows_12 tiles, which
  // matters when rows overlap.
  for (int r = 0; r < 2 * kMR; ++r) _mm512_storeu_ps(rows[r], _mm512_add_ps(_mm512_loadu_ps(rows[r]), w.v[r][0]));
  for (int r = 0; r < 2 * kMR; ++r)
    _mm512_storeu_ps(rows[r] + kNR, _mm512_add_ps(_mm512_loadu_ps(rows[r] + kNR), w.v[r][1]));
}

void micro_kernel_ranges12_avx512(int nranges, const float* const* a, int64_t a_step, const int64_t* kc, const float* b,
                                  float* c, int64_t ldc, float beta) {
  for (int r = 0; r < 2 * kMR; ++r) _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
  WideAcc<2, 1> w;
  wide_zero(w);
  for (int i = 0; i < nranges; ++i) {
    wide_accumulate<2, 1>(kc[i], a[i], a_step, b, 0, w);
    b += kc[i] * kNR;
  }
  wide_store(w, c, ldc, 1.f, beta);
}

void micro_kernel_6x32_avx512(int64_t kc, const float* a, int64_t a_step, const float* b, int64_t b_step, float* c,
                              int64_t ldc, float alpha, float beta) {
  wide_tile<1, 2>(kc, a, a_step, b, b_step, c, ldc, alpha, beta);
}

}  // namespace nn::cpu::gemm_detail
