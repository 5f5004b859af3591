// The portable pieces of the CPU GEMM: the micro-kernels of gemm_tile.h over simd::GenericVec
// (4-lane vectors: SSE2 on x86-64, NEON on aarch64) and scalar packers. The path of every CPU
// without AVX2 and of NNLAB_GEMM_KERNEL=generic / NNLAB_DISABLE_AVX2=1, and the only one of
// non-x86 builds. Compiled without ISA flags.
#include <algorithm>

#include "../simd/vec_traits.h"
#include "gemm_kernels.h"
#include "gemm_tile.h"

namespace nn::cpu::gemm_detail {
namespace {

void pack_b_generic(bool trans, const float* B, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int64_t nc,
                    float* out) {
  for (int64_t j = 0; j < nc; j += kNR, out += kc * kNR) {
    const int64_t nr = std::min<int64_t>(kNR, nc - j);
    for (int64_t p = 0; p < kc; ++p) {
      float* o = out + p * kNR;
      if (!trans) {
        const float* src = B + (p0 + p) * ldb + j0 + j;
        for (int64_t c = 0; c < nr; ++c) o[c] = src[c];
      } else {
        const float* src = B + (j0 + j) * ldb + p0 + p;
        for (int64_t c = 0; c < nr; ++c) o[c] = src[c * ldb];
      }
      for (int64_t c = nr; c < kNR; ++c) o[c] = 0.f;
    }
  }
}

void pack_a_generic(bool trans, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t p0, int64_t kc,
                    float* out) {
  for (int64_t i = 0; i < mc; i += kMR, out += kc * kMR) {
    const int64_t mr = std::min<int64_t>(kMR, mc - i);
    if (!trans) {
      const float* src = A + (i0 + i) * lda + p0;
      if (mr == kMR) {
        const float *s0 = src, *s1 = src + lda, *s2 = src + 2 * lda, *s3 = src + 3 * lda, *s4 = src + 4 * lda,
                    *s5 = src + 5 * lda;
        for (int64_t p = 0; p < kc; ++p) {
          float* o = out + p * kMR;
          o[0] = s0[p];
          o[1] = s1[p];
          o[2] = s2[p];
          o[3] = s3[p];
          o[4] = s4[p];
          o[5] = s5[p];
        }
      } else {
        for (int64_t p = 0; p < kc; ++p) {
          float* o = out + p * kMR;
          for (int64_t r = 0; r < mr; ++r) o[r] = src[r * lda + p];
          for (int64_t r = mr; r < kMR; ++r) o[r] = 0.f;
        }
      }
    } else {
      // op(A)[i, p] = A[p, i]: the MR values of one step are contiguous in row p of A.
      const float* src = A + p0 * lda + i0 + i;
      for (int64_t p = 0; p < kc; ++p) {
        float* o = out + p * kMR;
        const float* s = src + p * lda;
        for (int64_t r = 0; r < mr; ++r) o[r] = s[r];
        for (int64_t r = mr; r < kMR; ++r) o[r] = 0.f;
      }
    }
  }
}

}  // namespace

Kernels kernels_generic() { return TileOps<simd::GenericVec>::kernels(pack_a_generic, pack_b_generic); }

}  // namespace nn::cpu::gemm_detail
