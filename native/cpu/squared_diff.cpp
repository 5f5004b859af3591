// mseLoss's forward in one pass: diff = x - t kept for the backward, and the sum or mean of diff^2
// with reduce's bits for [1, n, 1] (reduce.cpp's reduce_rows: kReduceRowBlock blocks, each summed
// over 16 lanes, the blocks' sums added in order), where the separate ops write and read back an
// array of squares and run three passes over the batch.
#pragma GCC optimize("fp-contract=off")
#include <algorithm>
#include <cmath>
#include <vector>

#include "../core/error.h"
#include "../core/thread_pool.h"
#include "cpu_backend.h"
#include "reduce_blocks.h"
#include "simd/simd.h"
#include "squared_diff.h"

namespace nn {
namespace {

// lane_reduce<Sum> (simd/lane_reduce.h) over the squares, step for step. Its short-row branch
// is the general path below with the unused lanes at zero, so one path serves every length.
float squared_diff_block(const float* x, const float* t, float* diff, int64_t n) {
  constexpr int L = 16;
#if NNLAB_X86_KERNELS
  if (n >= L && cpu::use_avx512()) return cpu::squared_diff_block_avx512(x, t, diff, n);
#endif
  auto sq = [&](int64_t i) {
    const float d = x[i] - t[i];
    diff[i] = d;
    return d * d;
  };
  float acc[L] = {};
  int64_t i = 0;
  for (; i + L <= n; i += L)
    for (int j = 0; j < L; ++j) acc[j] += sq(i + j);
  for (; i < n; ++i) acc[0] += sq(i);
  for (int w = L / 2; w >= 1; w /= 2)
    for (int j = 0; j < w; ++j) acc[j] += acc[j + w];
  return acc[0];
}

}  // namespace

void CpuBackend::squared_diff_reduce(ReduceOp op, const float* x, const float* t, float* diff, float* y, int64_t n) {
  if (op != ReduceOp::Sum && op != ReduceOp::Mean)
    fail(ErrorCode::Internal, "cpu: squared_diff_reduce takes sum or mean, got ", static_cast<int>(op));
  const int64_t nblocks = std::max<int64_t>(1, (n + kReduceRowBlock - 1) / kReduceRowBlock);
  std::vector<float> part(static_cast<size_t>(nblocks));
  parallel_for(nblocks, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) {
      const int64_t start = b * kReduceRowBlock, len = std::min(kReduceRowBlock, n - start);
      part[b] = squared_diff_block(x + start, t + start, diff + start, len);
    }
  });
  float acc = part[0];
  for (int64_t b = 1; b < nblocks; ++b) acc += part[b];
  if (op == ReduceOp::Mean) acc = n == 0 ? NAN : acc * (1.f / static_cast<float>(n));
  y[0] = acc;
}

}  // namespace nn
