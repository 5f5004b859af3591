// Vector traits for kernels written once over the vector width (gemm/gemm_tile.h,
// optim/adam_vector.h): a type V::Vec of V::W floats and the handful of operations the kernels use. GenericVec is
// portable (GCC/Clang vector extensions: SSE2 on x86-64, NEON on aarch64, scalar code elsewhere); Avx2 and Avx512 exist
// only in translation units compiled with those ISA flags (*_avx2.cpp, *_avx512.cpp).
//
// Everything here has internal linkage on purpose: the same inline function compiled in an AVX2
// file and in a portable file must not be merged by the linker, or a CPU without AVX2 could end
// up running the AVX2 copy.
#pragma once
#include <cstdint>
#include <cstring>

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace nn::cpu::simd {
namespace {

struct GenericVec {
  using Vec = float __attribute__((vector_size(16)));
  static constexpr int W = 4;
  static constexpr bool kWide = false;  // 24 accumulators already fill SSE's 16 / NEON's 32 registers
  static inline Vec zero() { return Vec{0.f, 0.f, 0.f, 0.f}; }
  static inline Vec set1(float x) { return Vec{x, x, x, x}; }
  static inline Vec broadcast(const float* p) { return set1(*p); }
  static inline Vec loadu(const float* p) {
    Vec v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static inline Vec load(const float* p) { return loadu(p); }
  static inline void storeu(float* p, Vec v) { std::memcpy(p, &v, sizeof v); }
  static inline void store(float* p, Vec v) { storeu(p, v); }
  static inline Vec add(Vec a, Vec b) { return a + b; }
  static inline Vec mul(Vec a, Vec b) { return a * b; }
  // Rounded once where the compiler contracts it (aarch64), twice on x86 without -mfma.
  static inline Vec fma(Vec a, Vec b, Vec c) { return a * b + c; }
};

#if defined(__AVX2__) && defined(__FMA__)
struct Avx2 {
  using Vec = __m256;
  static constexpr int W = 8;
  static constexpr bool kWide = false;  // 16 ymm registers: no room for 24 accumulators
  static inline Vec zero() { return _mm256_setzero_ps(); }
  static inline Vec set1(float x) { return _mm256_set1_ps(x); }
  static inline Vec broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  static inline Vec load(const float* p) { return _mm256_load_ps(p); }
  static inline Vec loadu(const float* p) { return _mm256_loadu_ps(p); }
  static inline void store(float* p, Vec v) { _mm256_store_ps(p, v); }
  static inline void storeu(float* p, Vec v) { _mm256_storeu_ps(p, v); }
  static inline Vec add(Vec a, Vec b) { return _mm256_add_ps(a, b); }
  static inline Vec mul(Vec a, Vec b) { return _mm256_mul_ps(a, b); }
  static inline Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
  static inline Vec sub(Vec a, Vec b) { return _mm256_sub_ps(a, b); }
  static inline Vec div(Vec a, Vec b) { return _mm256_div_ps(a, b); }
  static inline Vec sqrt(Vec a) { return _mm256_sqrt_ps(a); }
  // A loop's tail of n < W elements: lanes 0..n-1 have their sign bit set.
  using Mask = __m256i;
  static inline Mask tail_mask(int64_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static inline Vec loadu(const float* p, Mask t) { return _mm256_maskload_ps(p, t); }
  static inline void storeu(float* p, Vec v, Mask t) { _mm256_maskstore_ps(p, t, v); }
  // The lanes of kernels/activation_math.h (ScalarLanes there says what each one does).
  using F = Vec;
  using B = __m256;
  static inline Vec abs(Vec a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.f), a); }
  static inline Vec min(Vec c, Vec x) { return _mm256_min_ps(c, x); }  // x when either is NaN
  static inline B lt(Vec a, Vec b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static inline Vec select(B b, Vec p, Vec q) { return _mm256_blendv_ps(q, p, b); }
  static inline Vec copysign(Vec m, Vec s) {
    const Vec sign = _mm256_set1_ps(-0.f);
    return _mm256_or_ps(_mm256_andnot_ps(sign, m), _mm256_and_ps(sign, s));
  }
  static inline Vec pow2(Vec t, uint32_t bias) {
    const __m256i e = _mm256_add_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(static_cast<int>(127u + bias)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
  }
};
#endif

#if defined(__AVX512F__)
struct Avx512 {
  using Vec = __m512;
  static constexpr int W = 16;
  static constexpr bool kWide = true;  // 32 zmm registers hold the 24 accumulators of a 12x32 tile
  static inline Vec zero() { return _mm512_setzero_ps(); }
  static inline Vec set1(float x) { return _mm512_set1_ps(x); }
  static inline Vec broadcast(const float* p) { return _mm512_set1_ps(*p); }
  static inline Vec load(const float* p) { return _mm512_load_ps(p); }
  static inline Vec loadu(const float* p) { return _mm512_loadu_ps(p); }
  static inline void store(float* p, Vec v) { _mm512_store_ps(p, v); }
  static inline void storeu(float* p, Vec v) { _mm512_storeu_ps(p, v); }
  static inline Vec add(Vec a, Vec b) { return _mm512_add_ps(a, b); }
  static inline Vec mul(Vec a, Vec b) { return _mm512_mul_ps(a, b); }
  static inline Vec fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
  static inline Vec sub(Vec a, Vec b) { return _mm512_sub_ps(a, b); }
  static inline Vec div(Vec a, Vec b) { return _mm512_div_ps(a, b); }
  // The masked form: GCC 12 warns about the undefined source register of _mm512_sqrt_ps.
  static inline Vec sqrt(Vec a) { return _mm512_mask_sqrt_ps(a, 0xffff, a); }
  // A loop's tail of n < W elements: lanes 0..n-1.
  using Mask = __mmask16;
  static inline Mask tail_mask(int64_t n) { return static_cast<Mask>((1u << n) - 1); }
  static inline Vec loadu(const float* p, Mask t) { return _mm512_maskz_loadu_ps(t, p); }
  static inline void storeu(float* p, Vec v, Mask t) { _mm512_mask_storeu_ps(p, t, v); }
  // The lanes of kernels/activation_math.h (ScalarLanes there says what each one does), in
  // AVX-512F alone: use_avx512() asks for no more.
  using F = Vec;
  using B = __mmask16;
  static inline Vec abs(Vec a) { return _mm512_abs_ps(a); }
  // x when either is NaN. Masked forms here and in pow2, as in sqrt.
  static inline Vec min(Vec c, Vec x) { return _mm512_mask_min_ps(c, 0xffff, c, x); }
  static inline B lt(Vec a, Vec b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static inline Vec select(B b, Vec p, Vec q) { return _mm512_mask_blend_ps(b, q, p); }
  static inline Vec copysign(Vec m, Vec s) {
    // Bits of m where the constant has a 1 (all but the sign), of s elsewhere.
    const __m512i keep = _mm512_set1_epi32(0x7fffffff);
    return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(keep, _mm512_castps_si512(m), _mm512_castps_si512(s), 0xca));
  }
  static inline Vec pow2(Vec t, uint32_t bias) {
    const __m512i e = _mm512_add_epi32(_mm512_castps_si512(t), _mm512_set1_epi32(static_cast<int>(127u + bias)));
    return _mm512_castsi512_ps(_mm512_mask_slli_epi32(e, 0xffff, e, 23));
  }
};
#endif

}  // namespace
}  // namespace nn::cpu::simd
