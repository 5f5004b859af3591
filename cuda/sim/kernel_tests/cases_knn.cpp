// Runners of the k-NN ops: the pairwise squared-distance matrix (row norms + GEMM + finish),
// top-k by value, and the exact k-NN search on uint8 rows.
#include <algorithm>
#include <string>

#include "harness.h"

namespace kt {
namespace {

std::vector<uint8_t> bytes(size_t n, int32_t lo, int32_t hi_exclusive, uint64_t seed) {
  std::vector<int32_t> v = ints(n, lo, hi_exclusive, seed);
  return std::vector<uint8_t>(v.begin(), v.end());
}

// knn_exact on train [n, dim] and queries [m, dim] of bytes in [0, values). Some train rows are
// copies of others and some queries copies of train rows: equal distances (0 included) must rank
// the lower train index first on both backends.
Outputs knn_exact_run(Backend& b, const Entry& e) {
  nn::KnnExactArgs a{};
  a.n = e.dim("train", 0), a.m = e.dim("queries", 0), a.dim = e.dim("train", 1);
  a.k = e.i("k"), a.proj_dim = e.i("proj_dim");
  const int32_t hi = static_cast<int32_t>(e.i("values"));
  const uint64_t seed = static_cast<uint64_t>(e.i("seed"));
  const int64_t n = a.n, m = a.m, dim = a.dim, k = a.k;
  std::vector<uint8_t> tr = bytes(n * dim, 0, hi, seed), qs = bytes(m * dim, 0, hi, seed + 1);
  for (int64_t i = 3; i + 2 < n; i += 5)  // row i + 2 repeats row i: a later exact twin
    std::copy(tr.begin() + i * dim, tr.begin() + (i + 1) * dim, tr.begin() + (i + 2) * dim);
  for (int64_t q = 0; q < m; q += 4)  // query q is train row 2q + 1 (distance 0)
    std::copy(tr.begin() + ((2 * q + 1) % n) * dim, tr.begin() + ((2 * q + 1) % n + 1) * dim, qs.begin() + q * dim);
  Mem mem(b);
  const uint8_t *trd = mem.in(tr), *qsd = mem.in(qs);
  int32_t* idx = mem.out<int32_t>(m * k);
  int32_t* dist = mem.out<int32_t>(m * k);
  b.knn_exact(a, trd, qsd, idx, dist);
  Outputs o;
  o.add_exact("indices", mem.get(idx, m * k));
  o.add_exact("distances", mem.get(dist, m * k));
  return o;
}

}  // namespace

void add_knn_runners(Runners& r) {
  r["knn_exact"] = knn_exact_run;
  // a [m, dim] against b [n, dim]; b's row 0 repeats a's (a zero distance, clamped at 0).
  r["pairwise_sqdist"] = [](Backend& b, const Entry& e) {
    const int64_t m_ = e.dim("a", 0), n = e.dim("b", 0), dim = e.dim("a", 1);
    std::vector<float> ah = uniform(m_ * dim, -1.f, 1.f, 160), bh = uniform(n * dim, -1.f, 1.f, 161);
    std::copy(ah.begin(), ah.begin() + dim, bh.begin());
    Mem m(b);
    const float *a = m.in(ah), *bb = m.in(bh);
    float* d = m.out<float>(m_ * n);
    b.pairwise_sqdist(a, bb, d, m_, n, dim);
    return Outputs::of("d", m.get(d, m_ * n));
  };
  // Small integers: ties everywhere, which the lower index must win.
  r["topk"] = [](Backend& b, const Entry& e) {
    const int64_t rows = e.dim("x", 0), cols = e.dim("x", 1), k = e.i("k");
    std::vector<int32_t> q = ints(rows * cols, -8, 9, 162);
    Mem m(b);
    const float* x = m.in(std::vector<float>(q.begin(), q.end()));
    float* v = m.out<float>(rows * k);
    int32_t* idx = m.out<int32_t>(rows * k);
    b.topk(x, v, idx, rows, cols, k, e.flag("largest"));
    Outputs o = Outputs::of("values", m.get(v, rows * k));
    o.add_exact("indices", m.get(idx, rows * k));
    return o;
  };
}

}  // namespace kt
