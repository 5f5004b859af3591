// Exact k nearest neighbours of uint8 rows (raw images) under the squared Euclidean distance.
//
// Exhaustive search costs n*m*dim multiply-adds (MNIST: 0.47 T). Instead, every row is projected
// on p orthonormal directions (the leading principal directions of a train sample), where
// |P(x - y)| <= |x - y|: projected distances are lower bounds of the true ones and cost p/dim of
// them. For each query:
//   1. the c = k + 5 train rows of a leading sample with the smallest projected distances get
//      exact distances; the k-th smallest of those, T, bounds the k-th nearest distance;
//   2. every train row whose lower bound does not exceed T gets its exact integer distance and
//      is offered to the k nearest so far; T shrinks to the k-th kept distance as they arrive.
// A row is skipped only when floating-point arithmetic PROVES its exact distance exceeds T (see
// knn_projection.h), so the result is the exhaustive search's, ties included: equal distances rank
// the lower train index first. With proj_dim = 0 the search is exhaustive.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <vector>

#include "../../core/thread_pool.h"
#include "../cpu_backend.h"
#include "knn_exact.h"
#include "knn_projection.h"
#include "../simd/simd.h"

namespace nn {
namespace cpu {

int32_t sqdist_u8(const uint8_t* a, const uint8_t* b, int64_t dim) {
  int32_t s = 0;
  for (int64_t j = 0; j < dim; ++j) {
    const int32_t d = static_cast<int32_t>(a[j]) - static_cast<int32_t>(b[j]);
    s += d * d;
  }
  return s;
}

namespace {

inline void lb_tile_portable(const float* q, const float* panel, int64_t p, const float* nq, const float* nt,
                             float (&l)[kKnnTileRows][kKnnPanel]) {
  for (int r = 0; r < kKnnTileRows; ++r) {
    float acc[kKnnPanel] = {};
    for (int64_t k = 0; k < p; ++k) {
      const float a = q[r * p + k];
      for (int c = 0; c < kKnnPanel; ++c) acc[c] += a * panel[k * kKnnPanel + c];
    }
    for (int c = 0; c < kKnnPanel; ++c) l[r][c] = (nq[r] + nt[c]) - 2.f * acc[c];
  }
}

}  // namespace

void lb_tile_store(const float* q, const float* panel, int64_t p, const float* nq, const float* nt, float* out,
                   int64_t ldo, int64_t cols) {
  float l[kKnnTileRows][kKnnPanel];
  lb_tile_portable(q, panel, p, nq, nt, l);
  for (int r = 0; r < kKnnTileRows; ++r)
    for (int64_t c = 0; c < cols; ++c) out[r * ldo + c] = l[r][c];
}

bool lb_tile_filter(const float* q, const float* panel, int64_t p, const float* nq, const float* nt, const float* thr,
                    uint32_t* keep) {
  float l[kKnnTileRows][kKnnPanel];
  lb_tile_portable(q, panel, p, nq, nt, l);
  uint32_t any = 0;
  for (int r = 0; r < kKnnTileRows; ++r) {
    keep[r] = 0;
    for (int c = 0; c < kKnnPanel; ++c) keep[r] |= static_cast<uint32_t>(l[r][c] <= thr[r]) << c;
    any |= keep[r];
  }
  return any != 0;
}

}  // namespace cpu

namespace {

using cpu::kKnnPanel;
using cpu::kKnnTileRows;

// Train rows of the leading sample that seed each query's threshold (step 1 above), and extra
// seeds beyond k: a few more make a much tighter first T for little work.
constexpr int64_t kSeedSample = 2048;
constexpr int64_t kExtraSeeds = 5;
// Queries per task, and bytes of packed train rows per chunk: each chunk is read from memory once
// per block and then from L2 (512 KB per core here) by every tile of the block.
constexpr int64_t kBlockQueries = 8 * kKnnTileRows;
constexpr int64_t kChunkBytes = 192 * 1024;

struct Neighbour {
  int32_t d, i;
};
inline bool nearer(const Neighbour& a, const Neighbour& b) { return a.d < b.d || (a.d == b.d && a.i < b.i); }

// The k nearest offered so far, as a max-heap under `nearer` (the front is the worst kept).
class NearestK {
 public:
  explicit NearestK(int64_t k) : k_(static_cast<size_t>(k)) { heap_.reserve(k_); }
  bool full() const { return heap_.size() == k_; }
  int32_t worst() const { return heap_.front().d; }
  void offer(int32_t d, int32_t i) {
    const Neighbour nb{d, i};
    if (!full()) {
      heap_.push_back(nb);
      std::push_heap(heap_.begin(), heap_.end(), nearer);
    } else if (nearer(nb, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), nearer);
      heap_.back() = nb;
      std::push_heap(heap_.begin(), heap_.end(), nearer);
    }
  }
  void write(int32_t* idx, int32_t* dist) {
    std::sort_heap(heap_.begin(), heap_.end(), nearer);
    for (size_t j = 0; j < heap_.size(); ++j) {
      idx[j] = heap_[j].i;
      dist[j] = heap_[j].d;
    }
    heap_.clear();
  }

 private:
  size_t k_;
  std::vector<Neighbour> heap_;
};

inline void prefetch_row(const uint8_t* row, int64_t bytes) {
  for (int64_t o = 0; o < bytes; o += 64) __builtin_prefetch(row + o);
}

using SqDistFn = int32_t (*)(const uint8_t*, const uint8_t*, int64_t);
SqDistFn sqdist_fn() {
#if NNLAB_X86_KERNELS
  if (cpu::use_avx2()) return cpu::sqdist_u8_avx2;
#endif
  return cpu::sqdist_u8;
}

void exhaustive(const KnnExactArgs& a, const uint8_t* train, const uint8_t* queries, int32_t* idx, int32_t* dist) {
  const SqDistFn sq = sqdist_fn();
  parallel_for(a.m, 1, [&](int64_t lo, int64_t hi) {
    NearestK best(a.k);
    for (int64_t q = lo; q < hi; ++q) {
      const uint8_t* x = queries + q * a.dim;
      for (int64_t j = 0; j < a.n; ++j) best.offer(sq(x, train + j * a.dim, a.dim), static_cast<int32_t>(j));
      best.write(idx + q * a.k, dist + q * a.k);
    }
  });
}

struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};
using AlignedFloats = std::unique_ptr<float[], AlignedFree>;
AlignedFloats aligned_floats(int64_t n) {
  size_t bytes = (static_cast<size_t>(n) * sizeof(float) + 63) / 64 * 64;
  return AlignedFloats(static_cast<float*>(std::aligned_alloc(64, std::max<size_t>(bytes, 64))));
}

void pruned(const KnnExactArgs& a, const uint8_t* train, const uint8_t* queries, int32_t* idx, int32_t* dist) {
  const int64_t n = a.n, m = a.m, dim = a.dim, k = a.k, p = a.proj_dim;
  std::vector<float> basis, mu;
  cpu::principal_basis(train, n, dim, p, basis, mu);
  cpu::ProjectionBounds bounds;
  bounds.init(basis, p, dim);

  // Train rows projected and packed in panels of 16 (panel t, coordinate c, row r at
  // (t * p + c) * 16 + r); padding rows have norm +inf, so L = +inf and they never pass.
  const int64_t npanels = (n + kKnnPanel - 1) / kKnnPanel;
  std::vector<float> tn2, qn2;
  std::vector<double> tnorm, tv, qnorm, qv;
  AlignedFloats packed;
  std::vector<float> nt(static_cast<size_t>(npanels * kKnnPanel), std::numeric_limits<float>::infinity());
  {
    std::vector<float> tp(static_cast<size_t>(n * p));
    cpu::project_rows(train, n, n, dim, p, basis, mu, tp.data(), tn2, tnorm, tv);
    packed = aligned_floats(npanels * p * kKnnPanel);
    std::fill(packed.get(), packed.get() + npanels * p * kKnnPanel, 0.f);
    for (int64_t i = 0; i < n; ++i) {
      float* panel = packed.get() + (i / kKnnPanel) * p * kKnnPanel + i % kKnnPanel;
      for (int64_t t = 0; t < p; ++t) panel[t * kKnnPanel] = tp[i * p + t];
      nt[i] = tn2[i];
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    bounds.eta_max = std::max(bounds.eta_max, bounds.eta(tv[i]));
    bounds.norm_max = std::max(bounds.norm_max, tnorm[i]);
  }
  const int64_t nblocks = (m + kBlockQueries - 1) / kBlockQueries;
  const int64_t m_pad = nblocks * kBlockQueries;
  std::vector<float> qp(static_cast<size_t>(m_pad * p));
  cpu::project_rows(queries, m, m_pad, dim, p, basis, mu, qp.data(), qn2, qnorm, qv);

  // Step 1 runs on the first `seed_cols` train rows (whole panels, or all of them).
  const int64_t seed_cols =
      std::min(n, (std::max(kSeedSample, k + kExtraSeeds) + kKnnPanel - 1) / kKnnPanel * kKnnPanel);
  const int64_t seed_panels = (seed_cols + kKnnPanel - 1) / kKnnPanel;
  const int64_t nseeds = std::min(seed_cols, k + kExtraSeeds);
  auto store = cpu::lb_tile_store;
  auto filter = cpu::lb_tile_filter;
#if NNLAB_X86_KERNELS
  if (cpu::use_avx2()) {
    store = cpu::lb_tile_store_avx2;
    filter = cpu::lb_tile_filter_avx2;
  }
#endif
  const SqDistFn sq = sqdist_fn();
  // Train panels per chunk: a chunk stays in L2 while every tile of a block runs over it.
  const int64_t chunk_panels =
      std::max<int64_t>(1, kChunkBytes / (p * kKnnPanel * static_cast<int64_t>(sizeof(float))));

  parallel_tasks(nblocks, [&](int64_t block) {
    const int64_t q0 = block * kBlockQueries;
    const int64_t rows = std::min(kBlockQueries, m - q0);
    const int64_t tiles = (rows + kKnnTileRows - 1) / kKnnTileRows;
    std::vector<float> lbuf(static_cast<size_t>(kBlockQueries * seed_panels * kKnnPanel));
    const int64_t ldl = seed_panels * kKnnPanel;
    std::vector<NearestK> best(static_cast<size_t>(rows), NearestK(k));
    std::vector<double> t(static_cast<size_t>(kBlockQueries), 0.0);
    std::vector<float> thr(static_cast<size_t>(kBlockQueries), -std::numeric_limits<float>::infinity());
    auto offer = [&](int64_t r, int64_t j, int32_t d) {
      if (static_cast<double>(d) > t[r]) return;
      NearestK& b = best[r];
      b.offer(d, static_cast<int32_t>(j));
      if (b.full() && b.worst() < t[r]) {
        t[r] = b.worst();
        thr[r] = bounds.threshold(t[r], qnorm[q0 + r], bounds.eta(qv[q0 + r]));
      }
    };
    // Candidates wait in `pending` and get their exact distances in a batch: the train rows are
    // scattered over the whole set (cache misses), and prefetching a few rows ahead overlaps them.
    std::vector<std::pair<int32_t, int32_t>> pending;  // (query row in block, train row)
    auto flush = [&]() {
      constexpr size_t kAhead = 4;
      const size_t np = pending.size();
      for (size_t c = 0; c < std::min(np, kAhead); ++c) prefetch_row(train + pending[c].second * dim, dim);
      for (size_t c = 0; c < np; ++c) {
        if (c + kAhead < np) prefetch_row(train + pending[c + kAhead].second * dim, dim);
        const auto [r, j] = pending[c];
        offer(r, j, sq(queries + (q0 + r) * dim, train + j * dim, dim));
      }
      pending.clear();
    };

    for (int64_t c0 = 0; c0 < seed_panels; c0 += chunk_panels)
      for (int64_t tile = 0; tile < tiles; ++tile) {
        const int64_t r0 = q0 + tile * kKnnTileRows;
        for (int64_t pn = c0; pn < std::min(seed_panels, c0 + chunk_panels); ++pn)
          store(qp.data() + r0 * p, packed.get() + pn * p * kKnnPanel, p, qn2.data() + r0, nt.data() + pn * kKnnPanel,
                lbuf.data() + tile * kKnnTileRows * ldl + pn * kKnnPanel, ldl,
                std::min(kKnnPanel, seed_cols - pn * kKnnPanel));
      }
    std::vector<std::pair<float, int32_t>> cand(static_cast<size_t>(seed_cols));
    std::vector<int32_t> seed_d(static_cast<size_t>(nseeds));
    for (int64_t r = 0; r < rows; ++r) {
      const float* l = lbuf.data() + r * ldl;
      for (int64_t j = 0; j < seed_cols; ++j) cand[j] = {l[j], static_cast<int32_t>(j)};
      std::nth_element(cand.begin(), cand.begin() + (nseeds - 1), cand.end());
      for (int64_t s = 0; s < nseeds; ++s) seed_d[s] = sq(queries + (q0 + r) * dim, train + cand[s].second * dim, dim);
      std::nth_element(seed_d.begin(), seed_d.begin() + (k - 1), seed_d.end());
      t[r] = seed_d[k - 1];  // the k-th distance of k actual rows: >= the k-th nearest
      thr[r] = bounds.threshold(t[r], qnorm[q0 + r], bounds.eta(qv[q0 + r]));
      for (int64_t j = 0; j < seed_cols; ++j)
        if (l[j] <= thr[r]) pending.emplace_back(static_cast<int32_t>(r), static_cast<int32_t>(j));
      flush();
    }

    uint32_t keep[kKnnTileRows];
    for (int64_t c0 = seed_panels; c0 < npanels; c0 += chunk_panels)
      for (int64_t tile = 0; tile < tiles; ++tile) {
        const int64_t rt = tile * kKnnTileRows;
        const float* qt = qp.data() + (q0 + rt) * p;
        for (int64_t pn = c0; pn < std::min(npanels, c0 + chunk_panels); ++pn) {
          if (!filter(qt, packed.get() + pn * p * kKnnPanel, p, qn2.data() + q0 + rt, nt.data() + pn * kKnnPanel,
                      thr.data() + rt, keep))
            continue;
          for (int64_t r = 0; r < kKnnTileRows; ++r)
            for (uint32_t bits = keep[r]; bits; bits &= bits - 1)
              pending.emplace_back(static_cast<int32_t>(rt + r),
                                   static_cast<int32_t>(pn * kKnnPanel + __builtin_ctz(bits)));
        }
        flush();
      }
    for (int64_t r = 0; r < rows; ++r) best[r].write(idx + (q0 + r) * k, dist + (q0 + r) * k);
  });
}

}  // namespace

void CpuBackend::knn_exact(const KnnExactArgs& a, const uint8_t* train, const uint8_t* queries, int32_t* idx,
                           int32_t* dist) {
  if (a.m == 0 || a.k == 0) return;
  // The projection pays off only when it is much shorter than the rows (its cost grows with
  // proj_dim, and the basis's with proj_dim^2) and there are enough train rows to prune.
  if (a.proj_dim <= 0 || 2 * a.proj_dim > a.dim || a.n < 2 * kKnnPanel)
    exhaustive(a, train, queries, idx, dist);
  else
    pruned(a, train, queries, idx, dist);
}

}  // namespace nn
