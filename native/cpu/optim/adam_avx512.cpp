// Adam / AdamW on 16 lanes (see adam_vector.h): the portable loop compiles to 4-lane SSE with
// two divisions and a square root per element. Only
// <immintrin.h> is included, so no inline library function carries AVX-512 code out of here.
#pragma GCC optimize("fp-contract=off")
#include <immintrin.h>

#include "../simd/simd.h"

namespace nn::cpu {
namespace {

struct Avx512 {
  using Reg = __m512;
  using Mask = __mmask16;
  static constexpr int64_t kLanes = 16;
  static Reg set(float x) { return _mm512_set1_ps(x); }
  static Mask tail_mask(int64_t n) { return static_cast<Mask>((1u << n) - 1); }  // n < 16
  static Reg load(const float* p) { return _mm512_loadu_ps(p); }
  static Reg load(const float* p, Mask t) { return _mm512_maskz_loadu_ps(t, p); }
  static void store(float* p, Reg r) { _mm512_storeu_ps(p, r); }
  static void store(float* p, Reg r, Mask t) { _mm512_mask_storeu_ps(p, t, r); }
  static Reg add(Reg a, Reg b) { return _mm512_add_ps(a, b); }
  static Reg sub(Reg a, Reg b) { return _mm512_sub_ps(a, b); }
  static Reg mul(Reg a, Reg b) { return _mm512_mul_ps(a, b); }
  static Reg div(Reg a, Reg b) { return _mm512_div_ps(a, b); }
  // The masked form: GCC 12 warns about the undefined source register of _mm512_sqrt_ps here.
  static Reg sqrt(Reg a) { return _mm512_mask_sqrt_ps(a, 0xffff, a); }
};

#include "adam_vector.h"

}  // namespace

void adam_avx512(const AdamScalars& k, float* p, const float* g, float* m, float* v, int64_t n) {
  adam_vector<Avx512>(k, p, g, m, v, n);
}

}  // namespace nn::cpu
