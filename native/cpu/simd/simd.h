// Run-time choice of the AVX2+FMA kernels (files *_avx2.cpp, compiled with -mavx2 -mfma) and
// their entry points. Callers keep a portable path for other CPUs and for NNLAB_DISABLE_AVX2.
// On non-x86 builds use_avx2() and use_avx512() are always false and cpu_kernel_isa() reports
// "generic".
#pragma once
#include <cstdint>

// 1 when the build targets x86, where the *_avx2.cpp / *_avx512.cpp kernel files are compiled
// (cmake/cpu_sources.cmake, binding.gyp). Elsewhere those files are left out, so every call to
// them sits inside #if NNLAB_X86_KERNELS and the portable kernels are the only path.
#if defined(__x86_64__) || defined(__i386__)
#define NNLAB_X86_KERNELS 1
#else
#define NNLAB_X86_KERNELS 0
#endif

namespace nn::cpu {

// True when the CPU has AVX2 and FMA and NNLAB_DISABLE_AVX2 is unset or "0". The variable is
// read once per process: tests set it in a child process to run the portable kernels.
bool use_avx2();
// True when use_avx2() is and the CPU has AVX-512F, unless NNLAB_DISABLE_AVX512 is set (not "0"):
// valgrind, for one, cannot run AVX-512 code, so the instruction-count guard sets it.
bool use_avx512();

// One plane of 2x2, stride-2, unpadded max pooling: y and idx are [oh, ow] with oh = h/2,
// ow = w/2; same values, indices, tie and NaN rules as the portable kernel.
void maxpool2x2_plane_avx2(const float* x, int64_t h, int64_t w, int64_t oh, int64_t ow, float* y, int32_t* idx);
// Any window and stride (padding at most half the window): one plane of maxpool2d_forward.
void maxpool_plane_avx2(const float* x, int64_t h, int64_t w, int64_t oh, int64_t ow, int64_t kh, int64_t kw,
                        int64_t sh, int64_t sw, int64_t ph, int64_t pw, float* y, int32_t* idx);

// Backward of the above for one plane, writing every element of dx (no scatter, no pre-fill).
// Returns false, leaving dx partly written, when an index is not inside its own window (only
// possible with caller-made indices); the caller then redoes the plane by scattering.
bool maxpool2x2_backward_plane_avx2(const float* dy, const int32_t* idx, int64_t h, int64_t w, int64_t oh, int64_t ow,
                                    float* dx);

// The same two kernels on AVX-512 (pool_avx512.cpp), for use_avx512(): one masked 16-lane step per
// up to 16 outputs of a row; identical results, indices and return value.
void maxpool2x2_plane_avx512(const float* x, int64_t h, int64_t w, int64_t oh, int64_t ow, float* y, int32_t* idx);
bool maxpool2x2_backward_plane_avx512(const float* dy, const int32_t* idx, int64_t h, int64_t w, int64_t oh, int64_t ow,
                                      float* dx);
// The same over `planes` consecutive planes of at most 32 pooled outputs each (planes * h * w <
// 2^31), their outputs taken as one flat run: identical results, indices and return value (dx of
// every plane is written).
void maxpool2x2_planes_avx512(const float* x, int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow, float* y,
                              int32_t* idx);
bool maxpool2x2_backward_planes_avx512(const float* dy, const int32_t* idx, int64_t planes, int64_t h, int64_t w,
                                       int64_t oh, int64_t ow, float* dx);

// The scalars of one Adam / AdamW step (AdamArgs plus kernels/optim.h's AdamCoeffs), as plain
// data so the SIMD files need no header beyond <immintrin.h>.
struct AdamScalars {
  float beta1, beta2, eps, weight_decay;
  float step_size, bc2_sqrt, decay;
  bool decoupled;
};
// Adam / AdamW over n elements of one parameter (adam_avx2.cpp, adam_avx512.cpp): the bits of
// the portable adam_update loop, element for element.
void adam_avx2(const AdamScalars& k, float* p, const float* g, float* m, float* v, int64_t n);
void adam_avx512(const AdamScalars& k, float* p, const float* g, float* m, float* v, int64_t n);
// SGD without momentum over n elements of one parameter (sgd_avx2.cpp, sgd_avx512.cpp): the bits
// of the portable sgd_update loop, element for element.
void sgd_avx2(float lr, float weight_decay, float* p, const float* g, int64_t n);
void sgd_avx512(float lr, float weight_decay, float* p, const float* g, int64_t n);

}  // namespace nn::cpu
