// AVX2 packers of gather matrices (conv_gather.h). A row's 8 lanes of one lane group are a
// blend of one unaligned load per run; runs whose 8-float window would leave the matrix's
// storage use a masked load instead, which never touches the masked-off lanes. Rows whose
// windows all stay inside skip that test. Only <immintrin.h> is included (see pool_avx2.cpp).
#include <immintrin.h>

#include "conv_gather.h"
#include "../gemm/transpose8_avx2.h"
#include "../simd/dispatch.h"

namespace nn::cpu {
namespace {

// A lane group in registers, NS runs (the group's padding runs keep no lane and read the first
// run's window, so they never widen the reach).
template <int NS>
struct Runs {
  __m256 mask[NS];
  __m256i imask[NS];
  int64_t delta[NS];
  int ns;
  int64_t reach_lo, reach_hi;
  explicit Runs(const LaneGroup& g) : ns(g.ns), reach_lo(g.reach_lo), reach_hi(g.reach_hi) {
    for (int s = 0; s < NS; ++s) {
      imask[s] = _mm256_load_si256(reinterpret_cast<const __m256i*>(g.mask[s]));
      mask[s] = _mm256_castsi256_ps(imask[s]);
      delta[s] = g.delta[s];
    }
  }
};

// Lanes of one row (starting at rb) of a group. Without SAFE every run's window lies inside the
// matrix's storage; with it, runs whose window leaves [lo, hi) use masked loads.
template <int NS, bool SAFE>
inline __m256 row(const float* rb, const Runs<NS>& r, const float* lo, const float* hi) {
  __m256 v = _mm256_setzero_ps();
  for (int s = 0; s < NS; ++s) {
    const float* src = rb + r.delta[s];
    if (!SAFE || (src >= lo && src + 8 <= hi))
      v = _mm256_blendv_ps(v, _mm256_loadu_ps(src), r.mask[s]);
    else if (s < r.ns)
      v = _mm256_or_ps(v, _mm256_maskload_ps(src, r.imask[s]));
  }
  return v;
}

// The rows' offset range, to decide once per group whether any window can leave the storage.
struct RowRange {
  int64_t lo, hi;
  explicit RowRange(const GatherRows& m) : lo(0), hi(0) {
    for (int64_t j = 0; j < m.nrows; ++j) {
      const int64_t o = m.rowoff[j];
      if (j == 0 || o < lo) lo = o;
      if (j == 0 || o > hi) hi = o;
    }
  }
  template <int NS>
  bool inside(const GatherRows& m, const Runs<NS>& r) const {
    return m.base + lo + r.reach_lo >= m.lo && m.base + hi + r.reach_hi <= m.hi;
  }
};

// Template run counts: exact up to 4, else 8 (padded).
inline int padded_runs(int ns) { return ns <= 1 ? 1 : ns <= 4 ? ns : 8; }

// f(NS) with the kernels' compile-time run count for `ns` runs.
template <class F>
inline void with_runs(int ns, F&& f) {
  simd::with_count<1, 2, 3, 4, 8>(padded_runs(ns), static_cast<F&&>(f));
}

// Row i of the matrix, or zero past its last row (the zero padding of packed panels).
template <int NS, bool SAFE>
inline __m256 row_or_zero(const GatherRows& m, int64_t j, const Runs<NS>& r) {
  return j < m.nrows ? row<NS, SAFE>(m.base + m.rowoff[j], r, m.lo, m.hi) : _mm256_setzero_ps();
}

template <int NS, bool SAFE>
void panel_rows(const GatherRows& m, const Runs<NS>& a, const Runs<NS>& b, float* out) {
  for (int64_t j = 0; j < m.nrows; ++j) {
    const float* rb = m.base + m.rowoff[j];
    _mm256_store_ps(out + j * 16, row<NS, SAFE>(rb, a, m.lo, m.hi));
    _mm256_store_ps(out + j * 16 + 8, row<NS, SAFE>(rb, b, m.lo, m.hi));
  }
}

template <int NS, bool SAFE>
void bt_rows(const GatherRows& m, const Runs<NS>& r, int64_t steps, int64_t kc, float* out) {
  const int64_t rows16 = (m.nrows + 15) / 16 * 16;
  for (int64_t j8 = 0; j8 < rows16; j8 += 8) {
    __m256 v[8];
    if (j8 + 8 <= m.nrows)
      for (int i = 0; i < 8; ++i) v[i] = row<NS, SAFE>(m.base + m.rowoff[j8 + i], r, m.lo, m.hi);
    else
      for (int i = 0; i < 8; ++i) v[i] = row_or_zero<NS, SAFE>(m, j8 + i, r);
    avx2::transpose8(v);
    float* o = out + (j8 / 16) * kc * 16 + (j8 % 16);
    for (int64_t i = 0; i < steps; ++i) _mm256_store_ps(o + i * 16, v[i]);
  }
}

template <int NS>
void bt_group(const GatherRows& m, const RowRange& rr, const LaneGroup& g, int64_t steps, int64_t kc, float* out) {
  const Runs<NS> r(g);
  if (rr.inside(m, r))
    bt_rows<NS, false>(m, r, steps, kc, out);
  else
    bt_rows<NS, true>(m, r, steps, kc, out);
}

template <int NS, bool SAFE>
void at_rows(const GatherRows& m, const Runs<NS>& r, int64_t p0, int64_t steps, int64_t kc, float* out) {
  const int64_t rows6 = (m.nrows + 5) / 6 * 6;
  for (int64_t j6 = 0; j6 < rows6; j6 += 6) {
    __m256 v[8];
    if (j6 + 6 <= m.nrows)
      for (int i = 0; i < 6; ++i) v[i] = row<NS, SAFE>(m.base + m.rowoff[j6 + i], r, m.lo, m.hi);
    else
      for (int i = 0; i < 6; ++i) v[i] = row_or_zero<NS, SAFE>(m, j6 + i, r);
    v[6] = v[7] = _mm256_setzero_ps();
    avx2::transpose8(v);
    // Each 8-float store spills two floats into the next step, which the next store rewrites;
    // a panel's very last step is stored as 4 + 2 floats so nothing spills into the next panel.
    float* o = out + (j6 / 6) * kc * 6 + p0 * 6;
    for (int64_t i = 0; i < steps; ++i) {
      if (p0 + i == kc - 1) {
        _mm_storeu_ps(o + i * 6, _mm256_castps256_ps128(v[i]));
        _mm_storel_pi(reinterpret_cast<__m64*>(o + i * 6 + 4), _mm256_extractf128_ps(v[i], 1));
      } else {
        _mm256_storeu_ps(o + i * 6, v[i]);
      }
    }
  }
}

template <int NS>
void at_group(const GatherRows& m, const RowRange& rr, const LaneGroup& g, int64_t p0, int64_t steps, int64_t kc,
              float* out) {
  const Runs<NS> r(g);
  if (rr.inside(m, r))
    at_rows<NS, false>(m, r, p0, steps, kc, out);
  else
    at_rows<NS, true>(m, r, p0, steps, kc, out);
}

template <int NS>
void panel_group(const GatherRows& m, const LaneGroup* g, float* out) {
  const Runs<NS> a(g[0]), b(g[1]);
  const RowRange rr(m);
  if (rr.inside(m, a) && rr.inside(m, b))
    panel_rows<NS, false>(m, a, b, out);
  else
    panel_rows<NS, true>(m, a, b, out);
}

}  // namespace

void pack_gather_panel_avx2(const GatherRows& m, const LaneGroup* g, bool ones_row, float* out) {
  with_runs(g[0].ns > g[1].ns ? g[0].ns : g[1].ns, [&](auto ns) { panel_group<decltype(ns)::value>(m, g, out); });
  if (ones_row)
    for (int h = 0; h < 2; ++h) {
      __m256 one = _mm256_setzero_ps();
      for (int s = 0; s < g[h].ns; ++s)
        one = _mm256_or_ps(
            one, _mm256_and_ps(_mm256_set1_ps(1.f), _mm256_load_ps(reinterpret_cast<const float*>(g[h].mask[s]))));
      _mm256_store_ps(out + m.nrows * 16 + h * 8, one);
    }
}

void pack_gather_bt_avx2(const GatherRows& m, const LaneGroup* g, int64_t ngroups, int64_t ncols, int64_t kc,
                         float* out) {
  const RowRange rr(m);
  for (int64_t gi = 0; gi < ngroups; ++gi) {
    const int64_t left = ncols - gi * 8, steps = left < 8 ? left : 8;
    float* o = out + gi * 8 * 16;
    with_runs(g[gi].ns, [&](auto ns) { bt_group<decltype(ns)::value>(m, rr, g[gi], steps, kc, o); });
  }
}

void pack_gather_at_avx2(const GatherRows& m, const LaneGroup* g, int64_t ngroups, int64_t ncols, int64_t kc,
                         float* out) {
  const RowRange rr(m);
  for (int64_t gi = 0; gi < ngroups; ++gi) {
    const int64_t left = ncols - gi * 8, steps = left < 8 ? left : 8;
    with_runs(g[gi].ns, [&](auto ns) { at_group<decltype(ns)::value>(m, rr, g[gi], gi * 8, steps, kc, out); });
  }
}

}  // namespace nn::cpu
