// Reductions over the middle axis of [outer, dim, inner].
// Results do not depend on the thread count: a contiguous row is always cut into the same
// fixed blocks, each block into the same 16 lanes, and partials are combined in a fixed order.
#include <algorithm>
#include <vector>

#include "../core/error.h"
#include "../core/thread_pool.h"
#include "cpu_backend.h"
#include "reduce_blocks.h"
#include "simd/lane_reduce.h"

namespace nn {
namespace {

constexpr int64_t kGrain = 1 << 14;
constexpr int64_t kRowBlock = kReduceRowBlock;
constexpr int64_t kColChunk = kReduceColChunk;
constexpr int64_t kDimBlock = kReduceDimBlock;

template <ReduceOp OP>
float reduce_block(const float* x, int64_t n) {
  return lane_reduce<OP>(x, n);
}

template <ReduceOp OP>
void reduce_rows(const float* x, float* y, int64_t outer, int64_t dim) {
  const float scale = OP == ReduceOp::Mean ? 1.f / static_cast<float>(dim) : 1.f;
  const int64_t nblocks = std::max<int64_t>(1, (dim + kRowBlock - 1) / kRowBlock);
  auto finish = [&](float v) { return OP == ReduceOp::Mean ? (dim == 0 ? NAN : v * scale) : v; };
  if (nblocks == 1) {
    parallel_for(outer, std::max<int64_t>(1, kGrain / std::max<int64_t>(dim, 1)), [&](int64_t lo, int64_t hi) {
      for (int64_t o = lo; o < hi; ++o) y[o] = finish(reduce_block<OP>(x + o * dim, dim));
    });
    return;
  }
  // Long rows: every (row, block) partial is a task, then each row joins its partials in order.
  std::vector<float> part(static_cast<size_t>(outer * nblocks));
  parallel_for(outer * nblocks, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      int64_t o = t / nblocks, b = t % nblocks;
      int64_t start = b * kRowBlock, len = std::min(kRowBlock, dim - start);
      part[t] = reduce_block<OP>(x + o * dim + start, len);
    }
  });
  for (int64_t o = 0; o < outer; ++o) {
    float acc = part[o * nblocks];
    for (int64_t b = 1; b < nblocks; ++b) acc = reduce_combine(OP, acc, part[o * nblocks + b]);
    y[o] = finish(acc);
  }
}

template <ReduceOp OP>
void reduce_cols(const float* x, float* y, int64_t outer, int64_t dim, int64_t inner) {
  const int64_t nchunks = (inner + kColChunk - 1) / kColChunk;
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, dim * std::min(inner, kColChunk)));
  parallel_for(outer * nchunks, grain, [&](int64_t lo, int64_t hi) {
    float part[kColChunk];
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t o = t / nchunks, i0 = (t % nchunks) * kColChunk;
      const int64_t w = std::min(kColChunk, inner - i0);
      float* out = y + o * inner + i0;
      const float* base = x + o * dim * inner + i0;
      for (int64_t i = 0; i < w; ++i) out[i] = reduce_init(OP);
      for (int64_t d0 = 0; d0 < dim; d0 += kDimBlock) {
        const int64_t d1 = std::min(dim, d0 + kDimBlock);
        for (int64_t i = 0; i < w; ++i) part[i] = reduce_init(OP);
        for (int64_t d = d0; d < d1; ++d) {
          const float* row = base + d * inner;
          for (int64_t i = 0; i < w; ++i) part[i] = reduce_combine(OP, part[i], row[i]);
        }
        for (int64_t i = 0; i < w; ++i) out[i] = reduce_combine(OP, out[i], part[i]);
      }
      if (OP == ReduceOp::Mean) {
        const float s = dim == 0 ? NAN : 1.f / static_cast<float>(dim);
        for (int64_t i = 0; i < w; ++i) out[i] = dim == 0 ? NAN : out[i] * s;
      }
    }
  });
}

template <ReduceOp OP>
void reduce_impl(const float* x, float* y, int64_t outer, int64_t dim, int64_t inner) {
  if (outer * inner == 0) return;
  if (inner == 1)
    reduce_rows<OP>(x, y, outer, dim);
  else
    reduce_cols<OP>(x, y, outer, dim, inner);
}

// First maximum wins; a NaN counts as the maximum (the first NaN), as in torch.argmax.
inline bool argmax_better(float v, float best) { return v > best || (v != v && best == best); }

}  // namespace

void CpuBackend::reduce(ReduceOp op, const float* x, float* y, int64_t outer, int64_t dim, int64_t inner) {
  // clang-format off
  switch (op) {
#define NN_CASE(name) case ReduceOp::name: reduce_impl<ReduceOp::name>(x, y, outer, dim, inner); break;
    NN_CASE(Sum) NN_CASE(Mean) NN_CASE(Max) NN_CASE(Min)
#undef NN_CASE
    default: fail(ErrorCode::Internal, "cpu: unknown reduce op ", static_cast<int>(op));
  }
  // clang-format on
}

void CpuBackend::argmax(const float* x, int32_t* y, int64_t outer, int64_t dim, int64_t inner) {
  if (outer * inner == 0) return;
  if (inner == 1) {
    parallel_for(outer, std::max<int64_t>(1, kGrain / std::max<int64_t>(dim, 1)), [&](int64_t lo, int64_t hi) {
      for (int64_t o = lo; o < hi; ++o) {
        const float* row = x + o * dim;
        float best = dim > 0 ? row[0] : 0.f;
        int32_t bi = 0;
        for (int64_t d = 1; d < dim; ++d)
          if (argmax_better(row[d], best)) best = row[d], bi = static_cast<int32_t>(d);
        y[o] = bi;
      }
    });
    return;
  }
  const int64_t nchunks = (inner + kColChunk - 1) / kColChunk;
  parallel_for(outer * nchunks, 1, [&](int64_t lo, int64_t hi) {
    float best[kColChunk];
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t o = t / nchunks, i0 = (t % nchunks) * kColChunk;
      const int64_t w = std::min(kColChunk, inner - i0);
      const float* base = x + o * dim * inner + i0;
      int32_t* out = y + o * inner + i0;
      for (int64_t i = 0; i < w; ++i) best[i] = dim > 0 ? base[i] : 0.f, out[i] = 0;
      for (int64_t d = 1; d < dim; ++d) {
        const float* row = base + d * inner;
        for (int64_t i = 0; i < w; ++i)
          if (argmax_better(row[i], best[i])) best[i] = row[i], out[i] = static_cast<int32_t>(d);
      }
    }
  });
}

}  // namespace nn
