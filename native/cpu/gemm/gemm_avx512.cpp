// AVX-512 micro-kernels of the CPU GEMM: gemm_tile.h over simd::Avx512, the same 6x16 tile and
// packed layouts as the AVX2 ones (packing is AVX2's), with one 16-lane register per row instead
// of two 8-lane ones, plus the wide tiles (12x32, 12x16, 6x32) that keep more accumulators in
// flight. Every element gets the AVX2 kernel's exact sequence of fused multiply-adds and epilogue,
// so results are bit for bit those of the AVX2 path (test/simd_paths.test.ts); only the
// instruction count halves. Compiled with -mavx512f and reached only after gemm.cpp has checked
// the CPU at run time.
#include "../simd/vec_traits.h"
#include "gemm_kernels.h"
#include "gemm_tile.h"

namespace nn::cpu::gemm_detail {

Kernels kernels_avx512() { return TileOps<simd::Avx512>::kernels(pack_a_avx2, pack_b_avx2); }

}  // namespace nn::cpu::gemm_detail
