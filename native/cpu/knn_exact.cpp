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
// Bounds below), so the result is the exhaustive search's, ties included: equal distances rank
// the lower train index first. With proj_dim = 0 the search is exhaustive.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <vector>

#include "../core/thread_pool.h"
#include "cpu_backend.h"
#include "gemm.h"
#include "knn_exact.h"
#include "simd.h"

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

bool lb_tile_filter(const float* q, const float* panel, int64_t p, const float* nq, const float* nt,
                    const float* thr, uint32_t* keep) {
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
// Train rows in the principal-direction estimate, and subspace iterations.
constexpr int64_t kPcaSample = 4096;
constexpr int kPcaIterations = 8;

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
SqDistFn sqdist_fn() { return cpu::use_avx2() ? cpu::sqdist_u8_avx2 : cpu::sqdist_u8; }

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

// Orthonormal columns (modified Gram-Schmidt, twice) of z [dim, p] stored column-major. A column
// that is (numerically) in the span of the previous ones is replaced by a coordinate vector.
void orthonormalize(std::vector<double>& z, int64_t dim, int64_t p) {
  for (int64_t t = 0; t < p; ++t) {
    double* c = z.data() + t * dim;
    double before = 0;
    for (int64_t j = 0; j < dim; ++j) before += c[j] * c[j];
    for (int pass = 0; pass < 3; ++pass) {
      for (int round = 0; round < 2; ++round)
        for (int64_t s = 0; s < t; ++s) {
          const double* o = z.data() + s * dim;
          double dot = 0;
          for (int64_t j = 0; j < dim; ++j) dot += o[j] * c[j];
          for (int64_t j = 0; j < dim; ++j) c[j] -= dot * o[j];
        }
      double norm = 0;
      for (int64_t j = 0; j < dim; ++j) norm += c[j] * c[j];
      if (norm > 1e-20 * before && norm > 0) {
        const double inv = 1 / std::sqrt(norm);
        for (int64_t j = 0; j < dim; ++j) c[j] *= inv;
        break;
      }
      // Dependent column: restart from a coordinate vector (pass 2 tries another one).
      std::fill(c, c + dim, 0.0);
      c[(t * 7919 + pass * 104729) % dim] = 1;
      before = 1;
    }
  }
}

// p leading principal directions of the train rows (rows of basis [p, dim]) by subspace
// iteration on the covariance of an evenly spaced sample, and the sample's mean rounded to
// integers (so that x - mu is exact in float). Only the search's speed depends on their quality.
void principal_basis(const uint8_t* train, int64_t n, int64_t dim, int64_t p, std::vector<float>& basis,
                     std::vector<float>& mu) {
  const int64_t ns = std::min(n, kPcaSample), stride = n / ns;
  std::vector<double> mean(static_cast<size_t>(dim), 0.0);
  for (int64_t i = 0; i < ns; ++i)
    for (int64_t j = 0; j < dim; ++j) mean[j] += train[i * stride * dim + j];
  mu.resize(static_cast<size_t>(dim));
  for (int64_t j = 0; j < dim; ++j) mu[j] = static_cast<float>(std::nearbyint(mean[j] / static_cast<double>(ns)));
  std::vector<float> xs(static_cast<size_t>(ns * dim));
  for (int64_t i = 0; i < ns; ++i)
    for (int64_t j = 0; j < dim; ++j) xs[i * dim + j] = static_cast<float>(train[i * stride * dim + j]) - mu[j];
  std::vector<float> cov(static_cast<size_t>(dim * dim));
  cpu::sgemm(gemm_args(true, false, dim, dim, ns, dim, dim, dim, 0.f), xs.data(), xs.data(), cov.data());

  // Start from p sample rows (they lie in the data's span), column-major in double.
  std::vector<double> q(static_cast<size_t>(dim * p));
  for (int64_t t = 0; t < p; ++t)
    for (int64_t j = 0; j < dim; ++j) q[t * dim + j] = xs[(t * ns / p) * dim + j];
  orthonormalize(q, dim, p);
  std::vector<float> qf(static_cast<size_t>(dim * p)), zf(static_cast<size_t>(dim * p));
  for (int it = 0; it < kPcaIterations; ++it) {
    for (int64_t t = 0; t < p; ++t)
      for (int64_t j = 0; j < dim; ++j) qf[j * p + t] = static_cast<float>(q[t * dim + j]);
    cpu::sgemm(gemm_args(false, false, dim, p, dim, dim, p, p, 0.f), cov.data(), qf.data(), zf.data());
    for (int64_t t = 0; t < p; ++t)
      for (int64_t j = 0; j < dim; ++j) q[t * dim + j] = zf[j * p + t];
    orthonormalize(q, dim, p);
  }
  basis.resize(static_cast<size_t>(p * dim));
  for (int64_t t = 0; t < p; ++t)
    for (int64_t j = 0; j < dim; ++j) basis[t * dim + j] = static_cast<float>(q[t * dim + j]);
}

// Rounding-error bounds that make a skipped row provably farther than T.
//
// B is the float basis as stored, with spectral norm sigma (sigma^2 <= 1 + |B B^T - I|_F) and
// Frobenius norm F. For x, y with v = x - mu, w = y - mu (exact integers in float):
//  - the computed projection a of x (a GEMM over dim terms) satisfies |a - Bv| <= gamma_dim F |v|
//    =: eta_x (per coordinate |err| <= gamma_dim |B_t| |v|);
//  - |Bv - Bw| <= sigma |x - y|, hence |a - b| <= sigma sqrt(D) + eta_x + eta_y;
//  - the tile's L = (fl(|a|^2) + fl(|b|^2)) - 2 dot(a, b) is within eps (|a| + |b|)^2 of
//    |a - b|^2, eps = 2 gamma_(p+8) (dot product over p terms, two norm roundings, the sum and
//    the final rounding, with room to spare).
// So D <= T implies L <= (sigma sqrt(T) + eta_x + eta_max)^2 + eps (|a| + |b|max)^2 =: thr(T),
// and a row with L > thr(T) is skipped safely (it could not even tie the k-th).
struct Bounds {
  double sigma = 1, frob = 1, gamma_dim = 0, eps = 0, eta_max = 0, norm_max = 0;

  static double gamma(int64_t n) {
    const double u = std::ldexp(1.0, -24);
    return static_cast<double>(n) * u / (1 - static_cast<double>(n) * u);
  }

  void init(const std::vector<float>& basis, int64_t p, int64_t dim) {
    double off = 0, fro = 0;
    for (int64_t s = 0; s < p; ++s)
      for (int64_t t = s; t < p; ++t) {
        double g = 0;
        for (int64_t j = 0; j < dim; ++j) g += static_cast<double>(basis[s * dim + j]) * basis[t * dim + j];
        if (s == t) fro += g;
        const double e = s == t ? g - 1 : g;
        off += (s == t ? 1 : 2) * e * e;
      }
    // Double sums of dim products carry relative errors near dim * 2^-53: 1e-9 covers them.
    sigma = std::sqrt(1 + std::sqrt(off) + 1e-9);
    frob = std::sqrt(fro) * (1 + 1e-9);
    gamma_dim = gamma(dim) * (1 + 1e-9);
    eps = 2 * gamma(p + 8);
  }
  double eta(double vnorm) const { return gamma_dim * frob * vnorm; }
  // thr(T) rounded up to a float, for a query with projected norm `norm` and eta `eta_q`.
  float threshold(double t, double norm, double eta_q) const {
    const double r = sigma * std::sqrt(t) + eta_q + eta_max, s = norm + norm_max;
    const double thr = (r * r + eps * s * s) * (1 + 1e-12);
    float f = static_cast<float>(thr);
    if (static_cast<double>(f) < thr) f = std::nextafter(f, std::numeric_limits<float>::infinity());
    return f;
  }
};

// Rows of x projected on the basis: out [rows, p] (rows padded with zeros up to rows_pad),
// fl(|a|^2) per row in norms2, |a| in norms and |x - mu| in vnorms.
void project(const uint8_t* x, int64_t rows, int64_t rows_pad, int64_t dim, int64_t p, const std::vector<float>& basis,
             const std::vector<float>& mu, float* out, std::vector<float>& norms2, std::vector<double>& norms,
             std::vector<double>& vnorms) {
  constexpr int64_t kChunk = 2048;
  std::vector<float> xc(static_cast<size_t>(std::min(rows, kChunk) * dim));
  norms2.assign(static_cast<size_t>(rows_pad), 0.f);
  norms.assign(static_cast<size_t>(rows_pad), 0.0);
  vnorms.assign(static_cast<size_t>(rows_pad), 0.0);
  std::fill(out + rows * p, out + rows_pad * p, 0.f);
  for (int64_t lo = 0; lo < rows; lo += kChunk) {
    const int64_t hi = std::min(rows, lo + kChunk);
    parallel_for(hi - lo, 64, [&](int64_t a, int64_t b) {
      for (int64_t i = a; i < b; ++i) {
        double v = 0;
        for (int64_t j = 0; j < dim; ++j) {
          const float d = static_cast<float>(x[(lo + i) * dim + j]) - mu[j];
          xc[i * dim + j] = d;
          v += static_cast<double>(d) * d;
        }
        vnorms[lo + i] = std::sqrt(v);
      }
    });
    cpu::sgemm(gemm_args(false, true, hi - lo, p, dim, dim, dim, p, 0.f), xc.data(), basis.data(), out + lo * p);
  }
  for (int64_t i = 0; i < rows; ++i) {
    double s = 0;
    for (int64_t t = 0; t < p; ++t) s += static_cast<double>(out[i * p + t]) * out[i * p + t];
    norms[i] = std::sqrt(s);
    norms2[i] = static_cast<float>(s);
  }
}

void pruned(const KnnExactArgs& a, const uint8_t* train, const uint8_t* queries, int32_t* idx, int32_t* dist) {
  const int64_t n = a.n, m = a.m, dim = a.dim, k = a.k, p = a.proj_dim;
  std::vector<float> basis, mu;
  principal_basis(train, n, dim, p, basis, mu);
  Bounds bounds;
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
    project(train, n, n, dim, p, basis, mu, tp.data(), tn2, tnorm, tv);
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
  project(queries, m, m_pad, dim, p, basis, mu, qp.data(), qn2, qnorm, qv);

  // Step 1 runs on the first `seed_cols` train rows (whole panels, or all of them).
  const int64_t seed_cols = std::min(n, (std::max(kSeedSample, k + kExtraSeeds) + kKnnPanel - 1) / kKnnPanel * kKnnPanel);
  const int64_t seed_panels = (seed_cols + kKnnPanel - 1) / kKnnPanel;
  const int64_t nseeds = std::min(seed_cols, k + kExtraSeeds);
  const bool avx2 = cpu::use_avx2();
  const auto store = avx2 ? cpu::lb_tile_store_avx2 : cpu::lb_tile_store;
  const auto filter = avx2 ? cpu::lb_tile_filter_avx2 : cpu::lb_tile_filter;
  const SqDistFn sq = sqdist_fn();
  // Train panels per chunk: a chunk stays in L2 while every tile of a block runs over it.
  const int64_t chunk_panels = std::max<int64_t>(1, kChunkBytes / (p * kKnnPanel * static_cast<int64_t>(sizeof(float))));

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
              pending.emplace_back(static_cast<int32_t>(rt + r), static_cast<int32_t>(pn * kKnnPanel + __builtin_ctz(bits)));
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
  if (a.proj_dim <= 0 || 2 * a.proj_dim > a.dim || a.n < 2 * kKnnPanel) exhaustive(a, train, queries, idx, dist);
  else pruned(a, train, queries, idx, dist);
}

}  // namespace nn
