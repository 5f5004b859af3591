// Reductions over the middle axis of [outer, dim, inner].
// inner == 1 (contiguous rows): one block per row, threads stride over the row and combine
// through warp shuffles and shared memory. inner > 1: one thread per (outer, inner) column walks
// the dim axis; neighbouring threads read neighbouring addresses (coalesced).
#pragma once
#include <cstdint>

#include "../../native/kernels/ops.h"
#include "common.cuh"

namespace nn::cuda {

template <typename Op>
NN_DEVICE float row_reduce(const float* row, int64_t dim, Op op, float identity, float* smem) {
  float acc = identity;
  for (int64_t j = threadIdx.x; j < dim; j += blockDim.x) acc = op(acc, row[j]);
  return block_reduce(acc, op, identity, smem);
}

// Mean divides at the end; an empty Mean is NaN (as the CPU backend).
NN_DEVICE float reduce_finish(ReduceOp op, float v, int64_t dim) {
  if (op != ReduceOp::Mean) return v;
  return dim == 0 ? NAN : v * (1.f / static_cast<float>(dim));
}

static __global__ void reduce_rows_kernel(ReduceOp op, const float* x, float* y, int64_t outer, int64_t dim) {
  NN_SHARED(float, smem, [33]);
  for (int64_t o = blockIdx.x; o < outer; o += gridDim.x) {
    const float* row = x + o * dim;
    float r;
    if (op == ReduceOp::Max)
      r = row_reduce(row, dim, MaxOp{}, -INFINITY, smem);
    else if (op == ReduceOp::Min)
      r = row_reduce(row, dim, MinOp{}, INFINITY, smem);
    else
      r = row_reduce(row, dim, SumOp{}, 0.f, smem);
    if (threadIdx.x == 0) y[o] = reduce_finish(op, r, dim);
  }
}

static __global__ void reduce_cols_kernel(ReduceOp op, const float* x, float* y, int64_t outer, int64_t dim,
                                          int64_t inner) {
  NN_GRID_STRIDE(t, outer * inner) {
    const int64_t o = t / inner, i = t % inner;
    const float* base = x + o * dim * inner + i;
    // Partials over blocks of 256 rows joined into the total (as the CPU backend does): a
    // single running float sum over a long column would lose about log2(dim) bits.
    float acc = reduce_init(op);
    for (int64_t d0 = 0; d0 < dim; d0 += 256) {
      const int64_t d1 = d0 + 256 < dim ? d0 + 256 : dim;
      float part = reduce_init(op);
      for (int64_t d = d0; d < d1; ++d) part = reduce_combine(op, part, base[d * inner]);
      acc = reduce_combine(op, acc, part);
    }
    y[t] = reduce_finish(op, acc, dim);
  }
}

// argmax: (value, index) pairs ordered so that a NaN beats any number (the first NaN wins),
// then larger values, then lower indices: a total order, so any combination tree gives the
// sequential scan's answer.
struct ArgBest {
  float v;
  int32_t i;
};
NN_DEVICE bool arg_better(float v, int32_t i, float bv, int32_t bi) {
  bool vn = v != v, bn = bv != bv;
  if (vn != bn) return vn;
  if (!vn && v != bv) return v > bv;
  return i < bi;
}

static __global__ void argmax_rows_kernel(const float* x, int32_t* y, int64_t outer, int64_t dim) {
  NN_SHARED(float, sv, [32]);
  NN_SHARED(int32_t, si, [32]);
  const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  for (int64_t o = blockIdx.x; o < outer; o += gridDim.x) {
    const float* row = x + o * dim;
    float bv = -INFINITY;
    int32_t bi = 0x7fffffff;
    for (int64_t j = threadIdx.x; j < dim; j += blockDim.x)
      if (arg_better(row[j], static_cast<int32_t>(j), bv, bi)) bv = row[j], bi = static_cast<int32_t>(j);
    for (int off = 16; off > 0; off >>= 1) {
      float ov = __shfl_down_sync(0xffffffffu, bv, off);
      int32_t oi = __shfl_down_sync(0xffffffffu, bi, off);
      if (arg_better(ov, oi, bv, bi)) bv = ov, bi = oi;
    }
    if (lane == 0) sv[wid] = bv, si[wid] = bi;
    __syncthreads();
    if (wid == 0) {
      bv = lane < nwarps ? sv[lane] : -INFINITY;
      bi = lane < nwarps ? si[lane] : 0x7fffffff;
      for (int off = 16; off > 0; off >>= 1) {
        float ov = __shfl_down_sync(0xffffffffu, bv, off);
        int32_t oi = __shfl_down_sync(0xffffffffu, bi, off);
        if (arg_better(ov, oi, bv, bi)) bv = ov, bi = oi;
      }
      if (lane == 0) y[o] = bi == 0x7fffffff ? 0 : bi;  // dim == 0 reports 0, as the CPU
    }
    __syncthreads();
  }
}

static __global__ void argmax_cols_kernel(const float* x, int32_t* y, int64_t outer, int64_t dim, int64_t inner) {
  NN_GRID_STRIDE(t, outer * inner) {
    const int64_t o = t / inner, i = t % inner;
    const float* base = x + o * dim * inner + i;
    float bv = dim > 0 ? base[0] : 0.f;
    int32_t bi = 0;
    for (int64_t d = 1; d < dim; ++d) {
      float v = base[d * inner];
      if (v > bv || (v != v && bv == bv)) bv = v, bi = static_cast<int32_t>(d);
    }
    y[t] = bi;
  }
}

// mseLoss's forward, before its reduction: diff = x - t and its square, rounded as binary Sub and
// unary Square round them.
static __global__ void sub_square_kernel(const float* x, const float* t, float* diff, float* sq, int64_t n) {
  NN_GRID_STRIDE(i, n) {
    const float d = x[i] - t[i];
    diff[i] = d;
    sq[i] = d * d;
  }
}

}  // namespace nn::cuda
