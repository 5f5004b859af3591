// Kernels of the exact k-NN search on uint8 rows (knn_exact.cpp drives them): an exact integer
// squared distance, and 6 x 16 tiles of projected distances L = |a|^2 + |b|^2 - 2 a.b between
// projected queries and a packed panel of 16 projected train rows. Each kernel has a portable
// version and an AVX2 one (knn_exact_avx2.cpp); knn_exact.cpp's error bound covers both.
#pragma once
#include <cstdint>

namespace nn::cpu {

// Rows of queries per tile, and train rows per packed panel (panel[k * 16 + c] is coordinate k
// of train row c).
constexpr int64_t kKnnTileRows = 6;
constexpr int64_t kKnnPanel = 16;

// sum_j (a[j] - b[j])^2 in exact integer arithmetic (dim * 255^2 must fit in int32).
int32_t sqdist_u8(const uint8_t* a, const uint8_t* b, int64_t dim);
int32_t sqdist_u8_avx2(const uint8_t* a, const uint8_t* b, int64_t dim);

// The tile of projected distances for 6 query rows q (rows p floats apart, squared norms nq) and
// one panel (squared norms nt[16]): L[r][c] = (nq[r] + nt[c]) - 2 * sum_k q[r][k] * panel[k][c],
// the dot product accumulated over k in order.
// lb_tile_store writes L[r][c] to out[r * ldo + c] for c < cols.
void lb_tile_store(const float* q, const float* panel, int64_t p, const float* nq, const float* nt, float* out,
                   int64_t ldo, int64_t cols);
void lb_tile_store_avx2(const float* q, const float* panel, int64_t p, const float* nq, const float* nt, float* out,
                        int64_t ldo, int64_t cols);
// lb_tile_filter sets bit c of keep[r] when L[r][c] <= thr[r] and returns whether any bit is set.
bool lb_tile_filter(const float* q, const float* panel, int64_t p, const float* nq, const float* nt, const float* thr,
                    uint32_t* keep);
bool lb_tile_filter_avx2(const float* q, const float* panel, int64_t p, const float* nq, const float* nt,
                         const float* thr, uint32_t* keep);

}  // namespace nn::cpu
