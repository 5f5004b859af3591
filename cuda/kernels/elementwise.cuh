// Per-element kernels: fills, casts, the strided copy, unary/binary maps, where, Philox fills,
// dropout, one-hot. Each is a grid-stride loop around the NN_HD math of native/kernels/.
#pragma once
#include <cstdint>

#include "../../native/backend.h"
#include "../../native/kernels/ops.h"
#include "../../native/kernels/philox.h"
#include "common.cuh"

namespace nn::cuda {

template <typename T>
static __global__ void fill_kernel(T* y, int64_t n, T v) {
  NN_GRID_STRIDE(i, n) y[i] = v;
}

static __global__ void arange_kernel(float* y, int64_t n, float start, float step) {
  NN_GRID_STRIDE(i, n) y[i] = nn_fadd_rn(start, nn_fmul_rn(step, static_cast<float>(i)));  // as the CPU, bit for bit
}

// Any-dtype conversion with the dtypes as runtime values (uniform across the grid, so the
// switches cost nothing on a GPU). uint8/int32 -> float multiplies by scale; float -> integer
// truncates toward zero, as the CPU backend.
NN_DEVICE float load_as_float(const void* x, int dt, int64_t i) {
  switch (dt) {
    case 0:
      return static_cast<const float*>(x)[i];
    case 1:
      return static_cast<float>(static_cast<const int32_t*>(x)[i]);
    default:
      return static_cast<float>(static_cast<const uint8_t*>(x)[i]);
  }
}

static __global__ void byte_table_kernel(const uint8_t* x, const float* table, float* y, int64_t n) {
  NN_GRID_STRIDE(i, n) y[i] = table[x[i]];
}

static __global__ void cast_kernel(const void* x, int from, void* y, int to, int64_t n, float scale) {
  NN_GRID_STRIDE(i, n) {
    if (to == 0) {
      static_cast<float*>(y)[i] = load_as_float(x, from, i) * scale;
    } else if (from == 0) {
      float v = static_cast<const float*>(x)[i];
      if (to == 1)
        static_cast<int32_t*>(y)[i] = static_cast<int32_t>(v);
      else
        static_cast<uint8_t*>(y)[i] = static_cast<uint8_t>(v);
    } else {
      int32_t v =
          from == 1 ? static_cast<const int32_t*>(x)[i] : static_cast<int32_t>(static_cast<const uint8_t*>(x)[i]);
      if (to == 1)
        static_cast<int32_t*>(y)[i] = v;
      else
        static_cast<uint8_t*>(y)[i] = static_cast<uint8_t>(v);
    }
  }
}

// dst[idx . dst_strides + dst_offset] = src[idx . src_strides + src_offset]; each output
// element decodes its multi-index from its linear position (innermost axis fastest).
template <typename T>
static __global__ void strided_copy_kernel(StridedCopyArgs a, const T* src, T* dst, int64_t n) {
  NN_GRID_STRIDE(i, n) {
    int64_t rem = i, so = a.src_offset, dof = a.dst_offset;
    for (int d = a.ndim - 1; d >= 0; --d) {
      int64_t idx = rem % a.shape[d];
      rem /= a.shape[d];
      so += idx * a.src_strides[d];
      dof += idx * a.dst_strides[d];
    }
    dst[dof] = src[so];
  }
}

static __global__ void unary_kernel(UnaryOp op, const float* x, float* y, int64_t n, float alpha, float beta) {
  NN_GRID_STRIDE(i, n) y[i] = unary_forward(op, x[i], alpha, beta);
}

static __global__ void unary_backward_kernel(UnaryOp op, const float* x, const float* y, const float* dy, float* dx,
                                             int64_t n, float alpha, float beta) {
  NN_GRID_STRIDE(i, n) dx[i] = unary_grad(op, x[i], y[i], dy[i], alpha, beta);
}

// Broadcasting binary op: the output position decodes to per-operand offsets through the
// BroadcastArgs strides (0 on broadcast axes).
static __global__ void binary_kernel(BinaryOp op, BroadcastArgs a, const float* x, const float* y, float* out,
                                     int64_t n) {
  NN_GRID_STRIDE(i, n) {
    int64_t rem = i, oa = 0, ob = 0;
    for (int d = a.ndim - 1; d >= 0; --d) {
      int64_t idx = rem % a.out_shape[d];
      rem /= a.out_shape[d];
      oa += idx * a.a_strides[d];
      ob += idx * a.b_strides[d];
    }
    out[i] = binary_forward(op, x[oa], y[ob]);
  }
}

// Same-shape fast path (no index decoding).
static __global__ void binary_flat_kernel(BinaryOp op, const float* x, int64_t sx, const float* y, int64_t sy,
                                          float* out, int64_t n) {
  NN_GRID_STRIDE(i, n) out[i] = binary_forward(op, x[i * sx], y[i * sy]);
}

static __global__ void where_kernel(const uint8_t* cond, const float* a, const float* b, float* out, int64_t n) {
  NN_GRID_STRIDE(i, n) out[i] = cond[i] ? a[i] : b[i];
}

// Philox fills: element i's value depends on (seed, offset, i) only (kernels/philox.h), so the
// stream equals the CPU backend's whatever the launch shape.
static __global__ void rand_uniform_kernel(float* y, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi) {
  NN_GRID_STRIDE(i, n) y[i] = philox_uniform_at(seed, offset, i, lo, hi);
}

static __global__ void rand_normal_kernel(float* y, int64_t n, uint64_t seed, uint64_t offset, float mean, float stdv) {
  NN_GRID_STRIDE(i, n) y[i] = philox_normal_at(seed, offset, i, mean, stdv);
}

static __global__ void rand_bernoulli_kernel(float* y, int64_t n, uint64_t seed, uint64_t offset, float p) {
  NN_GRID_STRIDE(i, n) y[i] = philox_uniform_at(seed, offset, i, 0.f, 1.f) < p ? 1.f : 0.f;
}

// Sort keys of rand_permutation: (philox word << 32) | index.
static __global__ void permutation_keys_kernel(uint64_t* keys, int64_t n, uint64_t seed, uint64_t offset) {
  NN_GRID_STRIDE(i, n) {
    uint32_t w = philox4x32_10(seed, offset + static_cast<uint64_t>(i / 4)).v[i % 4];
    keys[i] = (static_cast<uint64_t>(w) << 32) | static_cast<uint64_t>(i);
  }
}

// One step (k, j) of a bitonic sorting network over m = 2^p keys (padding keys are all-ones
// and sort last). Each thread owns one compare-exchange pair.
static __global__ void bitonic_step_kernel(uint64_t* keys, int64_t m, int64_t k, int64_t j) {
  NN_GRID_STRIDE(t, m / 2) {
    int64_t i = (t / j) * 2 * j + (t % j);  // lower element of the pair
    int64_t l = i + j;
    bool ascending = (i & k) == 0;
    uint64_t a = keys[i], b = keys[l];
    if ((a > b) == ascending) {
      keys[i] = b;
      keys[l] = a;
    }
  }
}

static __global__ void permutation_extract_kernel(const uint64_t* keys, int32_t* y, int64_t n) {
  NN_GRID_STRIDE(i, n) y[i] = static_cast<int32_t>(keys[i] & 0xffffffffu);
}

// Dropout: one thread per Philox block feeds four consecutive elements (as the CPU does).
static __global__ void dropout_kernel(const float* x, float* y, uint8_t* mask, int64_t n, float p, float scale,
                                      uint64_t seed, uint64_t offset) {
  NN_GRID_STRIDE(b, (n + 3) / 4) dropout_block(x, y, mask, n, p, scale, seed, offset, b);
}

static __global__ void dropout_backward_kernel(const float* dy, const uint8_t* mask, float* dx, int64_t n,
                                               float scale) {
  NN_GRID_STRIDE(i, n) dx[i] = mask[i] ? dy[i] * scale : 0.f;
}

}  // namespace nn::cuda
