// The k-NN ops: the pairwise squared-distance matrix (row norms + GEMM + finish), top-k by
// value, and the exact k-NN search on uint8 rows. Kept in their own file: their backend
// signatures may change separately.
#include <algorithm>
#include <string>

#include "harness.h"

namespace kt {
namespace {

std::vector<uint8_t> bytes(size_t n, int32_t lo, int32_t hi_exclusive, uint64_t seed) {
  std::vector<int32_t> v = ints(n, lo, hi_exclusive, seed);
  return std::vector<uint8_t>(v.begin(), v.end());
}

// knn_exact on n train rows and m queries of dim bytes in [0, hi): the CUDA kernel searches
// exhaustively, the CPU prunes with a proj_dim-D projection when proj_dim > 0 (and n >= 32,
// 2 * proj_dim <= dim), so a case with proj_dim > 0 also checks that pruning changes nothing.
// Some train rows are copies of others and some queries copies of train rows: equal distances
// (0 included) must rank the lower train index first on both backends.
Case knn_exact_case(int64_t n, int64_t m, int64_t dim, int64_t k, int32_t hi, int64_t proj_dim, uint64_t seed) {
  const std::string name = "knn_exact/n" + std::to_string(n) + "_m" + std::to_string(m) + "_d" + std::to_string(dim) +
                           "_k" + std::to_string(k) + "_values" + std::to_string(hi) +
                           (proj_dim ? "_proj" + std::to_string(proj_dim) : std::string());
  return {name, kExact, [=](Backend& b) {
            std::vector<uint8_t> tr = bytes(n * dim, 0, hi, seed), qs = bytes(m * dim, 0, hi, seed + 1);
            for (int64_t i = 3; i + 2 < n; i += 5)  // row i + 2 repeats row i: a later exact twin
              std::copy(tr.begin() + i * dim, tr.begin() + (i + 1) * dim, tr.begin() + (i + 2) * dim);
            for (int64_t q = 0; q < m; q += 4)  // query q is train row 2q + 1 (distance 0)
              std::copy(tr.begin() + ((2 * q + 1) % n) * dim, tr.begin() + ((2 * q + 1) % n + 1) * dim,
                        qs.begin() + q * dim);
            Mem mem(b);
            const uint8_t* trd = mem.in(tr);
            const uint8_t* qsd = mem.in(qs);
            int32_t* idx = mem.out<int32_t>(m * k);
            int32_t* dist = mem.out<int32_t>(m * k);
            nn::KnnExactArgs a;
            a.n = n;
            a.m = m;
            a.dim = dim;
            a.k = k;
            a.proj_dim = proj_dim;
            b.knn_exact(a, trd, qsd, idx, dist);
            Outputs o;
            o.add_exact("indices", mem.get(idx, m * k));
            o.add_exact("distances", mem.get(dist, m * k));
            return o;
          }};
}

}  // namespace

void add_knn_cases(std::vector<Case>& out) {
  out.push_back({"knn/pairwise_sqdist_13x17x7", kAccumulate, [](Backend& b) {
                   const int64_t m_ = 13, n = 17, dim = 7;
                   std::vector<float> ah = uniform(m_ * dim, -1.f, 1.f, 160), bh = uniform(n * dim, -1.f, 1.f, 161);
                   for (int64_t j = 0; j < dim; ++j) bh[j] = ah[j];  // a zero distance (clamped at 0)
                   Mem m(b);
                   const float* a = m.in(ah);
                   const float* bb = m.in(bh);
                   float* d = m.out<float>(m_ * n);
                   b.pairwise_sqdist(a, bb, d, m_, n, dim);
                   Outputs o;
                   o.add("d", m.get(d, m_ * n));
                   return o;
                 }});
  for (bool largest : {false, true})
    out.push_back(
        {std::string("knn/topk_9x23_k5_") + (largest ? "largest" : "smallest"), kExact, [largest](Backend& b) {
           const int64_t rows = 9, cols = 23, k = 5;
           std::vector<int32_t> q = ints(rows * cols, -8, 9, 162);  // ties: lower index first
           std::vector<float> x(q.begin(), q.end());
           Mem m(b);
           const float* xd = m.in(x);
           float* v = m.out<float>(rows * k);
           int32_t* idx = m.out<int32_t>(rows * k);
           b.topk(xd, v, idx, rows, cols, k, largest);
           Outputs o;
           o.add("values", m.get(v, rows * k));
           o.add_exact("indices", m.get(idx, rows * k));
           return o;
         }});
  // Values in [0, 3): few distinct distances, so ties at the k-th place are everywhere.
  for (int64_t k : {1, 3, 7, 37}) out.push_back(knn_exact_case(37, 11, 6, k, 3, 0, 170 + k));
  // Full-range bytes, more queries than a warp, the CPU pruned in 4 dimensions.
  out.push_back(knn_exact_case(70, 45, 24, 5, 256, 4, 180));
  out.push_back(knn_exact_case(70, 45, 24, 3, 2, 4, 181));  // binary rows: heavy ties, pruned CPU
  out.push_back(knn_exact_case(5, 3, 0, 2, 1, 0, 182));     // zero-length rows: every distance 0
}

}  // namespace kt
