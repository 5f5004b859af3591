// Tiled SGEMM: C = alpha * op(A) * op(B) + beta * C, batched over blockIdx.z.
//
// A 16x16 thread block computes a 32x32 tile of C, 2x2 outputs per thread. Each step of the K
// loop stages a 16-deep slab of op(A) (As[k][m]) and op(B) (Bs[k][n]) in shared memory; the
// first barrier makes the slab visible to every thread before use, the second keeps any
// thread from overwriting it for the next step while others still read it. Rows are padded by
// one float so column walks do not hit one bank. Transposes are absorbed by the loads, and
// edge tiles load zeros, so the inner loop has no bounds tests.
#pragma once
#include <cmath>
#include <cstdint>

#include "../../native/backend.h"
#include "common.cuh"

namespace nn::cuda {

constexpr int kGemmTile = 32;     // C tile edge
constexpr int kGemmK = 16;        // K slab depth
constexpr int kGemmThreads = 16;  // block is kGemmThreads x kGemmThreads

static __global__ void gemm_kernel(GemmArgs g, const float* A, const float* B, float* C) {
  NN_SHARED(float, As, [kGemmK][kGemmTile + 1]);
  NN_SHARED(float, Bs, [kGemmK][kGemmTile + 1]);
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int tid = ty * kGemmThreads + tx;
  constexpr int kThreadsPerBlock = kGemmThreads * kGemmThreads;
  for (int64_t z = blockIdx.z; z < g.batch; z += gridDim.z) {
    const float* Az = A + z * g.stride_a;
    const float* Bz = B + z * g.stride_b;
    float* Cz = C + z * g.stride_c;
    for (int64_t m0 = static_cast<int64_t>(blockIdx.y) * kGemmTile; m0 < g.m;
         m0 += static_cast<int64_t>(gridDim.y) * kGemmTile)
      for (int64_t n0 = static_cast<int64_t>(blockIdx.x) * kGemmTile; n0 < g.n;
           n0 += static_cast<int64_t>(gridDim.x) * kGemmTile) {
        float acc[2][2] = {{0.f, 0.f}, {0.f, 0.f}};
        for (int64_t k0 = 0; k0 < g.k; k0 += kGemmK) {
          for (int e = tid; e < kGemmK * kGemmTile; e += kThreadsPerBlock) {
            // Consecutive threads take consecutive addresses of the stored matrix.
            int kk, mm;
            if (g.trans_a)
              kk = e / kGemmTile, mm = e % kGemmTile;  // A stored [K, M]
            else
              mm = e / kGemmK, kk = e % kGemmK;  // A stored [M, K]
            int64_t m = m0 + mm, k = k0 + kk;
            As[kk][mm] = (m < g.m && k < g.k) ? (g.trans_a ? Az[k * g.lda + m] : Az[m * g.lda + k]) : 0.f;
            int nn;
            if (g.trans_b)
              nn = e / kGemmK, kk = e % kGemmK;  // B stored [N, K]
            else
              kk = e / kGemmTile, nn = e % kGemmTile;  // B stored [K, N]
            int64_t n = n0 + nn;
            k = k0 + kk;
            Bs[kk][nn] = (n < g.n && k < g.k) ? (g.trans_b ? Bz[n * g.ldb + k] : Bz[k * g.ldb + n]) : 0.f;
          }
          __syncthreads();
          for (int kk = 0; kk < kGemmK; ++kk) {
            const float a0 = As[kk][ty], a1 = As[kk][ty + kGemmThreads];
            const float b0 = Bs[kk][tx], b1 = Bs[kk][tx + kGemmThreads];
            // Fused multiply-adds, spelled out: nvcc contracts a*b+c into FMA on the GPU anyway,
            // and the CPU micro-kernels use FMA too, so the simulator computes what both do.
            // (With cancellation, as in weight gradients, FMA vs separate rounding differs
            // visibly after an Adam step.)
            acc[0][0] = fmaf(a0, b0, acc[0][0]);
            acc[0][1] = fmaf(a0, b1, acc[0][1]);
            acc[1][0] = fmaf(a1, b0, acc[1][0]);
            acc[1][1] = fmaf(a1, b1, acc[1][1]);
          }
          __syncthreads();
        }
        for (int i = 0; i < 2; ++i)
          for (int j = 0; j < 2; ++j) {
            int64_t m = m0 + ty + i * kGemmThreads, n = n0 + tx + j * kGemmThreads;
            if (m < g.m && n < g.n) {
              float* c = Cz + m * g.ldc + n;
              // beta == 0 never reads C: it may hold NaN garbage (uninitialised outputs).
              *c = g.beta == 0.f ? g.alpha * acc[i][j] : g.alpha * acc[i][j] + g.beta * *c;
            }
          }
      }
  }
}

}  // namespace nn::cuda
