// The CPU GEMM used by every op that reduces to matrix products (linear layers, conv2d via
// im2col, pairwise distances). Row-major; op(A) is A or A^T as stored.
#pragma once
#include "../backend.h"

namespace nn::cpu {

// C = alpha * op(A) * op(B) + beta * C for one matrix (a.batch is ignored), using the thread pool.
void sgemm(const GemmArgs& a, const float* A, const float* B, float* C);

// The same product computed by the calling thread only: for callers that already run one task
// per thread (e.g. conv2d over images).
void sgemm_serial(const GemmArgs& a, const float* A, const float* B, float* C);

}  // namespace nn::cpu
