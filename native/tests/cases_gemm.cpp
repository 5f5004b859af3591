// GEMM against a double-precision triple loop: every transpose combination, alpha/beta, padded
// leading dimensions, shapes that cross the micro-tile (6x16), the wide AVX-512 tiles (12x32),
// the k block (256) and the n block (3072), and a batched product.
#include <cmath>

#include "harness.h"

namespace ct {
namespace {

struct Shape {
  int64_t m, n, k;
};

void check_gemm(Check& ck, const Shape& s, bool ta, bool tb, float alpha, float beta, int64_t batch, uint64_t seed) {
  // Stored shapes: A is m x k (k x m when transposed), rows padded by 3 floats.
  const int64_t ar = ta ? s.k : s.m, ac = ta ? s.m : s.k, br = tb ? s.n : s.k, bc = tb ? s.k : s.n;
  nn::GemmArgs g;
  g.trans_a = ta;
  g.trans_b = tb;
  g.m = s.m;
  g.n = s.n;
  g.k = s.k;
  g.alpha = alpha;
  g.beta = beta;
  g.lda = ac + 3;
  g.ldb = bc + 3;
  g.ldc = s.n + 3;
  g.batch = batch;
  g.stride_a = ar * g.lda;
  g.stride_b = br * g.ldb;
  g.stride_c = s.m * g.ldc;
  const auto A = uniform(static_cast<size_t>(batch * g.stride_a), -1.f, 1.f, seed);
  const auto Bm = uniform(static_cast<size_t>(batch * g.stride_b), -1.f, 1.f, seed + 1);
  auto C = uniform(static_cast<size_t>(batch * g.stride_c), -1.f, 1.f, seed + 2);
  std::vector<double> want(C.size()), bound(C.size(), 0.0);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < s.m; ++i)
      for (int64_t j = 0; j < g.ldc; ++j) {
        const size_t ci = static_cast<size_t>(b * g.stride_c + i * g.ldc + j);
        if (j >= s.n) {  // the padding past n must stay untouched
          want[ci] = C[ci];
          continue;
        }
        double acc = 0, abs_sum = 0;
        for (int64_t p = 0; p < s.k; ++p) {
          const double a = A[b * g.stride_a + (ta ? p * g.lda + i : i * g.lda + p)];
          const double bv = Bm[b * g.stride_b + (tb ? j * g.ldb + p : p * g.ldb + j)];
          acc += a * bv;
          abs_sum += std::fabs(a * bv);
        }
        want[ci] = alpha * acc + beta * C[ci];
        bound[ci] = dot_bound(s.k, std::fabs(alpha) * abs_sum + std::fabs(beta * C[ci]));
      }
  if (beta == 0.f)  // beta == 0 must not read C: NaN there must not leak into the result
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t i = 0; i < s.m; ++i)
        for (int64_t j = 0; j < s.n; ++j) C[b * g.stride_c + i * g.ldc + j] = std::nanf("");
  B().gemm(g, A.data(), Bm.data(), C.data());
  ck.close("C " + std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k) + (ta ? " tA" : "") +
               (tb ? " tB" : ""),
           C, want, bound);
}

void gemm_shapes(Check& ck) {
  const Shape shapes[] = {{1, 1, 1}, {7, 13, 5}, {6, 16, 64}, {12, 32, 40}, {37, 45, 300}, {130, 150, 70}, {25, 70, 9}};
  uint64_t seed = 10;
  for (const auto& s : shapes)
    for (int t = 0; t < 4; ++t) check_gemm(ck, s, t & 1, t & 2, 1.f, 0.f, 1, seed += 3);
}

void gemm_alpha_beta(Check& ck) {
  const Shape shapes[] = {{5, 17, 33}, {24, 64, 260}, {50, 33, 16}};
  uint64_t seed = 100;
  for (const auto& s : shapes)
    for (int t = 0; t < 4; ++t) check_gemm(ck, s, t & 1, t & 2, -1.5f, 0.75f, 1, seed += 3);
}

void gemm_wide_n(Check& ck) { check_gemm(ck, {13, 3100, 9}, false, false, 1.f, 0.f, 1, 200); }

void gemm_large(Check& ck) { check_gemm(ck, {192, 144, 160}, false, false, 1.f, 0.f, 1, 300); }

void gemm_batched(Check& ck) { check_gemm(ck, {9, 20, 11}, false, true, 1.f, 1.f, 3, 400); }

}  // namespace

// The case table (one line per case, as in every cases_*.cpp).
void add_gemm_cases(std::vector<Case>& out) {
  out.push_back({"gemm/shapes", gemm_shapes});
  out.push_back({"gemm/alpha-beta", gemm_alpha_beta});
  out.push_back({"gemm/n-block", gemm_wide_n});
  out.push_back({"gemm/threaded", gemm_large});
  out.push_back({"gemm/batched", gemm_batched});
}

}  // namespace ct
