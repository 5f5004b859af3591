// Reference-quality GEMM (correct for every transpose/stride combination). The optimised
// kernel replaces the body of sgemm_serial/sgemm; callers only use the two functions of gemm.h.
#include "gemm.h"

#include <algorithm>
#include <vector>

#include "../core/thread_pool.h"
#include "cpu_backend.h"

namespace nn::cpu {
namespace {
inline float at(const float* M, bool trans, int64_t ld, int64_t r, int64_t c) {
  return trans ? M[c * ld + r] : M[r * ld + c];
}

void gemm_rows(const GemmArgs& a, const float* A, const float* B, float* C, int64_t r0, int64_t r1) {
  std::vector<float> acc(static_cast<size_t>(a.n));
  for (int64_t i = r0; i < r1; ++i) {
    std::fill(acc.begin(), acc.end(), 0.f);
    for (int64_t p = 0; p < a.k; ++p) {
      float av = at(A, a.trans_a, a.lda, i, p);
      for (int64_t j = 0; j < a.n; ++j) acc[j] += av * at(B, a.trans_b, a.ldb, p, j);
    }
    float* c = C + i * a.ldc;
    for (int64_t j = 0; j < a.n; ++j) c[j] = a.alpha * acc[j] + (a.beta == 0.f ? 0.f : a.beta * c[j]);
  }
}
}  // namespace

void sgemm_serial(const GemmArgs& a, const float* A, const float* B, float* C) { gemm_rows(a, A, B, C, 0, a.m); }

void sgemm(const GemmArgs& a, const float* A, const float* B, float* C) {
  parallel_for(a.m, 4, [&](int64_t lo, int64_t hi) { gemm_rows(a, A, B, C, lo, hi); });
}

}  // namespace nn::cpu

namespace nn {

void CpuBackend::gemm(const GemmArgs& a, const float* A, const float* B, float* C) {
  for (int64_t b = 0; b < a.batch; ++b)
    cpu::sgemm(a, A + b * a.stride_a, B + b * a.stride_b, C + b * a.stride_c);
}

}  // namespace nn
