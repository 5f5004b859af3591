// The k-NN building blocks: the pairwise squared-distance matrix (row norms + GEMM + finish)
// and top-k by value. Kept in their own file: their backend signatures may change separately.
#include <string>

#include "harness.h"

namespace kt {

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
    out.push_back({std::string("knn/topk_9x23_k5_") + (largest ? "largest" : "smallest"), kExact, [largest](Backend& b) {
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
}

}  // namespace kt
