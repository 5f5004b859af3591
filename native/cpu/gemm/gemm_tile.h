// The GEMM micro-kernels written once over a vector-traits type V, instantiated per ISA by the
// translation units that include this header: gemm_avx2.cpp (V = Avx2, -mavx2 -mfma),
// gemm_avx512.cpp (V = Avx512, -mavx512f ...) and gemm_generic.cpp (V = GenericVec, no ISA flags:
// the portable path of every CPU, and the only one on non-x86 builds). Include it only from such
// a file: its code is compiled for that file's ISA, so it must never be shared through an
// ordinary header between ISAs.
//
// A traits type provides (V::Vec holding V::W floats):
//   zero(), set1(x), broadcast(const float*) (all lanes = *p), load(p) (aligned to V::W floats),
//   loadu(p), store(p, v) (aligned), storeu(p, v), add(a, b), mul(a, b), fma(a, b, c) = a*b + c
// and V::kWide: whether the register file holds the 12x32 / 12x16 / 6x32 tiles (24 or 12 rows of
// accumulators); only AVX-512's 32 registers of 16 lanes do.
//
// Every kernel computes each element of C by the same sequence of operations (zero, then
// fma(a[p], b[p], acc) for p = 0..kc-1, then the alpha/beta epilogue), whatever the tile shape
// and edge, so tile choice and thread partition never change a bit, and the AVX2 and AVX-512
// instantiations give identical results (test/simd_paths.test.ts).
#pragma once
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "gemm_kernels.h"

namespace nn::cpu::gemm_detail {
// Internal linkage for everything instantiated here: each ISA's copy stays in its own file.
namespace {

// Whether the traits type has masked tail loads and stores (V::Mask, V::tail_mask).
template <class V, class = void>
struct HasMask : std::false_type {};
template <class V>
struct HasMask<V, std::enable_if_t<(sizeof(typename V::Mask) > 0)>> : std::true_type {};

template <class V>
struct TileOps {
  using Vec = typename V::Vec;
  static constexpr int W = V::W;
  static constexpr int L = kNR / W;  // vectors per tile row: 1 (AVX-512), 2 (AVX2), 4 (generic)
  static_assert(kNR % W == 0, "a B panel row must be whole vectors");

  // The kMR x kNR tile of kc packed steps in kMR * L accumulators.
  struct Tile {
    Vec c[kMR][L];
  };

  static inline void zero(Tile& t) {
#pragma GCC unroll 6
    for (int r = 0; r < kMR; ++r)
#pragma GCC unroll 4
      for (int l = 0; l < L; ++l) t.c[r][l] = V::zero();
  }

  // acc += A micro-panel step * B panel step: the L vectors of B, then per row one broadcast
  // of A feeding L fused multiply-adds.
  static inline __attribute__((always_inline)) void step(const float* a, const float* b, Vec (&acc)[kMR][L]) {
    Vec bv[L];
#pragma GCC unroll 4
    for (int l = 0; l < L; ++l) bv[l] = V::load(b + l * W);
#pragma GCC unroll 6
    for (int r = 0; r < kMR; ++r) {
      const Vec av = V::broadcast(a + r);
#pragma GCC unroll 4
      for (int l = 0; l < L; ++l) acc[r][l] = V::fma(av, bv[l], acc[r][l]);
    }
  }

  // t += A micro-panel * B panel over kc steps, four steps per iteration.
  static inline void accumulate(int64_t kc, const float* a, const float* b, Tile& t) {
    Vec acc[kMR][L];
#pragma GCC unroll 6
    for (int r = 0; r < kMR; ++r)
#pragma GCC unroll 4
      for (int l = 0; l < L; ++l) acc[r][l] = t.c[r][l];
    int64_t p = 0;
    for (; p + 4 <= kc; p += 4) {
      __builtin_prefetch(a + 64, 0, 3);
      step(a, b, acc);
      step(a + kMR, b + kNR, acc);
      step(a + 2 * kMR, b + 2 * kNR, acc);
      step(a + 3 * kMR, b + 3 * kNR, acc);
      a += 4 * kMR;
      b += 4 * kNR;
    }
    for (; p < kc; ++p) {
      step(a, b, acc);
      a += kMR;
      b += kNR;
    }
#pragma GCC unroll 6
    for (int r = 0; r < kMR; ++r)
#pragma GCC unroll 4
      for (int l = 0; l < L; ++l) t.c[r][l] = acc[r][l];
  }

  // C[0:m, 0:n] = alpha * t + beta * C (beta == 0: C is not read).
  static inline void store(const Tile& t, float* c, int64_t ldc, int m, int n, float alpha, float beta) {
    const bool full = m == kMR && n == kNR;
    // Partial tiles go through a full-size scratch tile so they use exactly the vector
    // operations of full ones (same rounding, no FMA contraction differences).
    alignas(64) float tmp[kMR * kNR];
    float* out = c;
    int64_t ldo = ldc;
    if (!full) {
      out = tmp;
      ldo = kNR;
      // beta == 0 overwrites the whole scratch tile; otherwise it is read, so it starts from C's
      // rows and zeros (no memset call: its start-up costs more than this tile).
      if (beta != 0.f)
        for (int r = 0; r < kMR; ++r) {
#pragma GCC unroll 4
          for (int l = 0; l < L; ++l) V::store(tmp + r * kNR + l * W, V::zero());
          if (r < m)
            for (int j = 0; j < n; ++j) tmp[r * kNR + j] = c[r * ldc + j];
        }
    }
    const Vec va = V::set1(alpha);
    if (beta == 0.f) {
      for (int r = 0; r < kMR; ++r)
#pragma GCC unroll 4
        for (int l = 0; l < L; ++l) V::storeu(out + r * ldo + l * W, V::mul(va, t.c[r][l]));
    } else {
      const Vec vb = V::set1(beta);
      for (int r = 0; r < kMR; ++r)
#pragma GCC unroll 4
        for (int l = 0; l < L; ++l) {
          float* o = out + r * ldo + l * W;
          V::storeu(o, V::fma(va, t.c[r][l], V::mul(vb, V::loadu(o))));
        }
    }
    if (!full)
      for (int r = 0; r < m; ++r) std::memcpy(c + r * ldc, tmp + r * kNR, sizeof(float) * n);
  }

  static inline void prefetch_c(float* c, int64_t ldc, int m, int n) {
    if (m == kMR && n == kNR)  // the tile is written at the end: start pulling it in now
      for (int r = 0; r < kMR; ++r) {
        __builtin_prefetch(c + r * ldc, 0, 3);
        __builtin_prefetch(c + r * ldc + kNR - 1, 0, 3);
      }
  }

  // ---- the MicroKernel* entry points of gemm_kernels.h ----

  static void micro(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int m, int n, float alpha,
                    float beta) {
    prefetch_c(c, ldc, m, n);
    Tile t;
    zero(t);
    accumulate(kc, a, b, t);
    store(t, c, ldc, m, n, alpha, beta);
  }

  static void ranges(int nranges, const float* const* a, const int64_t* kc, const float* b, float* c, int64_t ldc,
                     int m, int n, float beta) {
    prefetch_c(c, ldc, m, n);
    Tile t;
    zero(t);
    for (int i = 0; i < nranges; ++i) {
      accumulate(kc[i], a[i], b, t);
      b += kc[i] * kNR;
    }
    store(t, c, ldc, m, n, 1.f, beta);
  }

  static void rows(int64_t kc, const float* a, const float* b, float* const* rows, int m, int n) {
    Tile t;
    zero(t);
    accumulate(kc, a, b, t);
    if (n == kNR) {
      for (int r = 0; r < m; ++r)
#pragma GCC unroll 4
        for (int l = 0; l < L; ++l) {
          float* o = rows[r] + l * W;
          V::storeu(o, V::add(V::loadu(o), t.c[r][l]));
        }
      return;
    }
    alignas(64) float tmp[kNR];
    for (int r = 0; r < m; ++r) {
#pragma GCC unroll 4
      for (int l = 0; l < L; ++l) V::store(tmp + l * W, t.c[r][l]);
      for (int j = 0; j < n; ++j) rows[r][j] += tmp[j];
    }
  }

  // ---- wide tiles: (kMR * RP) x (kNR * CP), RP A micro-panels a_step floats apart against CP B
  // panels b_step floats apart. The 6x16 AVX-512 tile holds only 6 accumulators, fewer than the
  // 2 FMA pipes x 4-cycle latency of a core need in flight; 12x32 holds 24 and loads 2 B vectors
  // and 12 broadcasts per 24 FMAs. Each element still gets the 6x16 kernel's sequence of FMAs.

  template <int RP, int CP>
  struct WideAcc {
    Vec v[RP * kMR][CP * L];
  };

  template <int RP, int CP>
  static inline void wide_zero(WideAcc<RP, CP>& w) {
#pragma GCC unroll 12
    for (int r = 0; r < RP * kMR; ++r)
#pragma GCC unroll 2
      for (int q = 0; q < CP * L; ++q) w.v[r][q] = V::zero();
  }

  // w += A panels * B panels over kc steps.
  template <int RP, int CP>
  static inline void wide_accumulate(int64_t kc, const float* a, int64_t a_step, const float* b, int64_t b_step,
                                     WideAcc<RP, CP>& w) {
    constexpr int R = RP * kMR;
    auto& acc = w.v;
    const float* a1 = a + (RP > 1 ? a_step : 0);
    const float* b1 = b + (CP > 1 ? b_step : 0);
    for (int64_t p = 0; p < kc; ++p) {
      Vec bv[CP * L];
#pragma GCC unroll 2
      for (int l = 0; l < L; ++l) {
        bv[l] = V::load(b + p * kNR + l * W);
        if (CP > 1) bv[(CP - 1) * L + l] = V::load(b1 + p * kNR + l * W);
      }
#pragma GCC unroll 12
      for (int r = 0; r < R; ++r) {
        const float* ar = r < kMR ? a + p * kMR + r : a1 + p * kMR + (r - kMR);
        const Vec av = V::broadcast(ar);
#pragma GCC unroll 2
        for (int q = 0; q < CP * L; ++q) acc[r][q] = V::fma(av, bv[q], acc[r][q]);
      }
    }
  }

  // C = alpha * w + beta * C (beta == 0: C is not read), the 6x16 kernel's epilogue.
  template <int RP, int CP>
  static inline void wide_store(const WideAcc<RP, CP>& w, float* c, int64_t ldc, float alpha, float beta) {
    constexpr int R = RP * kMR;
    auto& acc = w.v;
    const Vec va = V::set1(alpha);
    if (beta == 0.f) {
#pragma GCC unroll 12
      for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
        for (int q = 0; q < CP * L; ++q) V::storeu(c + r * ldc + q * W, V::mul(va, acc[r][q]));
    } else {
      const Vec vb = V::set1(beta);
#pragma GCC unroll 12
      for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
        for (int q = 0; q < CP * L; ++q) {
          float* cr = c + r * ldc + q * W;
          V::storeu(cr, V::fma(va, acc[r][q], V::mul(vb, V::loadu(cr))));
        }
    }
  }

  template <int RP, int CP>
  static void wide_tile(int64_t kc, const float* a, int64_t a_step, const float* b, int64_t b_step, float* c,
                        int64_t ldc, float alpha, float beta) {
    for (int r = 0; r < RP * kMR; ++r) __builtin_prefetch(c + r * ldc, 0, 3);
    WideAcc<RP, CP> w;
    wide_zero(w);
    wide_accumulate<RP, CP>(kc, a, a_step, b, b_step, w);
    wide_store(w, c, ldc, alpha, beta);
  }

  // rows[r][0:16] += (two A micro-panels * one B panel)[r] for r < 12.
  static void rows12(int64_t kc, const float* a, int64_t a_step, const float* b, float* const* rows) {
    WideAcc<2, 1> w;
    wide_zero(w);
    wide_accumulate<2, 1>(kc, a, a_step, b, 0, w);
    for (int r = 0; r < 2 * kMR; ++r)
#pragma GCC unroll 4
      for (int l = 0; l < L; ++l) V::storeu(rows[r] + l * W, V::add(V::loadu(rows[r] + l * W), w.v[r][l]));
  }

  static void rows12x32(int64_t kc, const float* a, int64_t a_step, const float* b, int64_t b_step,
                        float* const* rows) {
    WideAcc<2, 2> w;
    wide_zero(w);
    wide_accumulate<2, 2>(kc, a, a_step, b, b_step, w);
    // Every row's left half, then every row's right half: the order of two rows12 tiles, which
    // matters when rows overlap.
    for (int h = 0; h < 2; ++h)
      for (int r = 0; r < 2 * kMR; ++r)
#pragma GCC unroll 4
        for (int l = 0; l < L; ++l) {
          float* o = rows[r] + h * kNR + l * W;
          V::storeu(o, V::add(V::loadu(o), w.v[r][h * L + l]));
        }
  }

  static void ranges12(int nranges, const float* const* a, int64_t a_step, const int64_t* kc, const float* b, float* c,
                       int64_t ldc, float beta) {
    for (int r = 0; r < 2 * kMR; ++r) __builtin_prefetch(c + r * ldc, 0, 3);
    WideAcc<2, 1> w;
    wide_zero(w);
    for (int i = 0; i < nranges; ++i) {
      wide_accumulate<2, 1>(kc[i], a[i], a_step, b, 0, w);
      b += kc[i] * kNR;
    }
    wide_store(w, c, ldc, 1.f, beta);
  }

  // ---- direct tiles: B read in place or packed, A in place by steps or packed (MicroKernelDirect) ----

  // C[0:m, 0:n] (m <= R, n <= CP * kNR) = alpha * A B + beta * C over kc steps, R rows x CP
  // panels of accumulators. A(r, p) = a[p * lda + r] (APanels false) or, from micro-panels lda
  // floats apart, a[(r / kMR) * lda + p * kMR + r % kMR]. Each element gets the 6x16 kernel's
  // sequence: zero, kc FMAs in p order, then its epilogue, lane by lane.
  template <int R, int CP, bool APanels>
  static void direct_tile(int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb, int64_t b_panel,
                          float* c, int64_t ldc, int m, int n, float alpha, float beta) {
    constexpr int Q = CP * L;
    Vec acc[R][Q];
#pragma GCC unroll 24
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
      for (int q = 0; q < Q; ++q) acc[r][q] = V::zero();
    for (int64_t p = 0; p < kc; ++p, b += ldb) {
      Vec bv[Q];
#pragma GCC unroll 4
      for (int q = 0; q < Q; ++q) bv[q] = V::loadu(b + (q / L) * b_panel + (q % L) * W);
#pragma GCC unroll 24
      for (int r = 0; r < R; ++r) {
        const Vec av = V::broadcast(APanels ? a + (r / kMR) * lda + p * kMR + r % kMR : a + p * lda + r);
#pragma GCC unroll 4
        for (int q = 0; q < Q; ++q) acc[r][q] = V::fma(av, bv[q], acc[r][q]);
      }
    }
    const Vec va = V::set1(alpha), vb = V::set1(beta);
    if (m == R && n == CP * kNR) {
#pragma GCC unroll 24
      for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (int q = 0; q < Q; ++q) {
          float* o = c + r * ldc + (q / L) * kNR + (q % L) * W;
          V::storeu(o, beta == 0.f ? V::mul(va, acc[r][q]) : V::fma(va, acc[r][q], V::mul(vb, V::loadu(o))));
        }
      return;
    }
    for (int r = 0; r < m; ++r)
      for (int cp = 0; cp < CP && cp * kNR < n; ++cp) {
        float* o = c + r * ldc + cp * kNR;
        const int cols = n - cp * kNR < kNR ? n - cp * kNR : kNR;
#pragma GCC unroll 4
        for (int l = 0; l < L; ++l) store_part(o + l * W, cols - l * W, acc[r][cp * L + l], va, vb, beta);
      }
  }

  // o[0:cols] = alpha * v + beta * o (beta == 0: o is not read) for cols < W lanes or more (the
  // whole vector): a partial vector goes through masked or scratch lanes, with the full vector's
  // operations (the lanes past cols read as zeros).
  static inline void store_part(float* o, int cols, Vec v, Vec va, Vec vb, float beta) {
    if (cols <= 0) return;
    if (cols >= W) {
      V::storeu(o, beta == 0.f ? V::mul(va, v) : V::fma(va, v, V::mul(vb, V::loadu(o))));
      return;
    }
    if constexpr (HasMask<V>::value) {
      const auto t = V::tail_mask(cols);
      V::storeu(o, beta == 0.f ? V::mul(va, v) : V::fma(va, v, V::mul(vb, V::loadu(o, t))), t);
    } else {
      alignas(64) float tmp[W] = {};
      if (beta != 0.f)
        for (int j = 0; j < cols; ++j) tmp[j] = o[j];
      V::storeu(tmp, beta == 0.f ? V::mul(va, v) : V::fma(va, v, V::mul(vb, V::loadu(tmp))));
      for (int j = 0; j < cols; ++j) o[j] = tmp[j];
    }
  }

  // Tiles of R rows and one or CP panels.
  template <int R, int CP>
  static DirectTile direct() {
    static_assert(R % kMR == 0, "a direct tile is whole micro-panels");
    DirectTile t;
    t.rows = R;
    t.panels = CP;
    t.by_steps[0] = direct_tile<R, 1, false>;
    t.by_panels[0] = direct_tile<R, 1, true>;
    if constexpr (CP == 2) {
      t.by_steps[1] = direct_tile<R, 2, false>;
      t.by_panels[1] = direct_tile<R, 2, true>;
    }
    return t;
  }

  // The kernel table of this ISA, with the given packers (the AVX-512 kernels share AVX2's).
  static Kernels kernels(PackA pack_a, PackB pack_b) {
    Kernels k{micro, pack_a, pack_b, rows, ranges};
    // The register file's tiles: 24 (AVX-512) or 12 (AVX2, generic) vector accumulators.
    if constexpr (V::kWide) {
      k.direct_small = direct<kMR, 2>();  // 12 accumulators
      k.direct_wide = direct<2 * kMR, 2>();
      k.direct_narrow = direct<4 * kMR, 1>();
    } else {
      k.direct_small = direct<kMR, 1>();
      k.direct_wide = k.direct_narrow = k.direct_small;
    }
    if constexpr (V::kWide) {
      k.wide12 = wide_tile<2, 2>;
      k.wide6 = wide_tile<1, 2>;
      k.tall = wide_tile<2, 1>;
      k.rows12 = rows12;
      k.ranges12 = ranges12;
      k.rows12x32 = rows12x32;
    }
    return k;
  }
};

}  // namespace
}  // namespace nn::cpu::gemm_detail
