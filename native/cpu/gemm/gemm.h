// The CPU GEMM used by every op that reduces to matrix products (linear layers, conv2d via
// im2col, pairwise distances). Row-major; op(A) is A or A^T as stored.
#pragma once
#include "../../backend.h"

namespace nn::cpu {

// C = alpha * op(A) * op(B) + beta * C for one matrix (a.batch is ignored), using the thread pool.
void sgemm(const GemmArgs& a, const float* A, const float* B, float* C);

// The same product computed by the calling thread only: for callers that already run one task
// per thread (e.g. conv2d over images).
void sgemm_serial(const GemmArgs& a, const float* A, const float* B, float* C);

// ---- products on operands packed by the caller ----
// conv2d multiplies the same weights with every image: the weights are packed once per call,
// and each image's lowered matrix is built straight in the packed-B layout (no column matrix,
// no second packing pass). The layouts are those of gemm_kernels.h.

// Width of a packed-B panel: op(B)[p, j*kPanelWidth + c] lives at j*k*kPanelWidth + p*kPanelWidth + c.
constexpr int64_t kPanelWidth = 16;
// Height of a packed-A micro-panel: op(A)[i*kPanelHeight + r, p] lives at i*k*kPanelHeight + p*kPanelHeight + r.
constexpr int64_t kPanelHeight = 6;
// Floats of a packed B of k x n (whole zero-padded panels).
inline int64_t packed_b_floats(int64_t k, int64_t n) { return k * ((n + kPanelWidth - 1) / kPanelWidth) * kPanelWidth; }

// op(A) (m x k) packed whole, 64-byte aligned, in the CPU backend's memory (its arena for large
// sizes): conv2d packs its weights on every call, and glibc's aligned_alloc leaves each freed
// block of a few MiB unusable for the next request of the same size, so RSS grew by the packed
// weights on every forward pass. Empty (data == nullptr) until packed.
struct PackedA {
  float* data = nullptr;
  size_t bytes = 0;
  int64_t m = 0, k = 0;
  PackedA() = default;
  PackedA(const PackedA&) = delete;
  PackedA& operator=(const PackedA&) = delete;
  ~PackedA();
};
// Throws OutOfMemory (nn::Error) when memory runs out; returns true.
bool pack_a_whole(bool trans, const float* A, int64_t lda, int64_t m, int64_t k, PackedA* out);
// Packs op(B) (k x n) into `out` (packed_b_floats(k, n) floats, 64-byte aligned: the AVX-512 kernels
// read each 16-float panel row with an aligned 64-byte load).
void pack_b_whole(bool trans, const float* B, int64_t ldb, int64_t k, int64_t n, float* out);
// Blocks of the packed layouts: rows [i0, i0 + m) x steps [p0, p0 + kc) of op(A) as ceil(m / 6)
// micro-panels of kc steps (may write 8 floats past the end), and steps [p0, p0 + kc) x columns
// [j0, j0 + n) of op(B) as ceil(n / 16) panels of kc steps (64-byte aligned).
void pack_a_block(bool trans, const float* A, int64_t lda, int64_t i0, int64_t m, int64_t p0, int64_t kc, float* out);
void pack_b_block(bool trans, const float* B, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int64_t n, float* out);
// C[m, n] = A * Bp on the calling thread (C rows ldc apart). K is cut as sgemm cuts it, so every
// element gets the same operations as in sgemm.
void gemm_packed_serial(const PackedA& A, const float* Bp, int64_t n, float* C, int64_t ldc);
// C[m, n] = Ap * Bp + beta * C (beta 0 or 1) for one k block of kc steps on the calling thread:
// Bp holds ceil(n / kPanelWidth) panels of kc steps, Ap ceil(m / kPanelHeight) micro-panels
// a_k steps apart (a_k = kc for a packed block; a whole packed A's k when Ap points into it).
void gemm_packed_block(const float* Ap, const float* Bp, int64_t m, int64_t n, int64_t kc, float* C, int64_t ldc,
                       float beta, int64_t a_k = 0);
// Tiles added into rows anywhere in memory: rows[r][0:n] += (ap * bp)[r] for r < m, with ap up to
// two micro-panels a_step floats apart and bp one panel of kc steps (m <= 2 * kPanelHeight,
// n <= kPanelWidth).
void gemm_tile_rows(int64_t kc, const float* ap, int64_t a_step, const float* bp, float* const* rows, int m, int n);
// gemm_tile_rows over two whole B panels b_step floats apart, added into 32 floats from each row:
// rows[r][0:32] += (ap * [bp | bp + b_step])[r] for r < m (m <= 2 * kPanelHeight): the same bits as
// gemm_tile_rows over bp into rows[r], then over the second panel into rows[r] + 16 (rows may overlap,
// so that order is kept); on AVX-512 a 12-row pair is one 12x32 tile.
void gemm_tile_rows_pair(int64_t kc, const float* ap, int64_t a_step, const float* bp, int64_t b_step,
                         float* const* rows, int m);
// One tile whose k steps come from several pieces of A micro-panels (ap[i], kc[i] steps each)
// against one B panel holding all of them in order: C[0:m, 0:n] = sum + beta * C (beta 0 or 1).
// m <= 2 * kPanelHeight: rows past the first micro-panel come from the pieces a_step floats
// further on; nranges <= kMaxTileRanges.
constexpr int kMaxTileRanges = 24;
void gemm_tile_ranges(int nranges, const float* const* ap, int64_t a_step, const int64_t* kc, const float* bp, float* c,
                      int64_t ldc, int m, int n, float beta);

}  // namespace nn::cpu
