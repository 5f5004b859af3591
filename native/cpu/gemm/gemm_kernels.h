// Internal to the CPU GEMM (gemm.cpp drives, gemm_generic.cpp / gemm_avx2.cpp / gemm_avx512.cpp compute): the
// packed-panel layout and the micro-kernel contract shared by every ISA variant.
//
// Packed layouts (BLIS style), both zero-padded to whole micro-panels so kernels never branch
// on edges inside their k loop:
//   A block: micro-panels of kMR rows; panel i holds op(A)[i*kMR + r, p] at [p*kMR + r].
//   B block: micro-panels of kNR columns; panel j holds op(B)[p, j*kNR + c] at [p*kNR + c].
#pragma once
#include <cstdint>

namespace nn::cpu::gemm_detail {

constexpr int kMR = 6;  // 6x16 tile: 12 ymm accumulators + 2 B vectors + 1 broadcast of 16 registers
constexpr int kNR = 16;

// C[0:m, 0:n] = alpha * (Apanel * Bpanel) + beta * C, m <= kMR, n <= kNR, over kc packed steps.
// beta == 0 must not read C (it may hold NaN garbage). Every element is computed by the same
// sequence of operations whatever m and n are, so results do not depend on where tile edges
// fall (i.e. on the thread partition).
using MicroKernel = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int m, int n,
                             float alpha, float beta);

// rows[r][0:n] += (Apanel * Bpanel)[r] for r < m (m <= kMR, n <= kNR): a tile added into rows
// anywhere in memory (the transposed convolution adds each tap's rows into its input plane).
using MicroKernelRows = void (*)(int64_t kc, const float* a, const float* b, float* const* rows, int m, int n);

// One tile over several k ranges: A micro-panel pieces a[i] of kc[i] steps against consecutive
// pieces of one B panel (sum of kc[i] steps); C = that + beta * C (beta 0 or 1).
using MicroKernelRanges = void (*)(int nranges, const float* const* a, const int64_t* kc, const float* b, float* c,
                                   int64_t ldc, int m, int n, float beta);

// A full 12x32, 12x16 or 6x32 tile: the A micro-panels at a and a + a_step, the B panels at b and
// b + b_step; C = alpha * product + beta * C, each element computed exactly as MicroKernel does.
// Only the AVX-512 kernels have them (the AVX2 register file cannot hold the accumulators).
using MicroKernelWide = void (*)(int64_t kc, const float* a, int64_t a_step, const float* b, int64_t b_step, float* c,
                                 int64_t ldc, float alpha, float beta);
// rows[r][0:16] += (two A micro-panels a_step apart * one B panel)[r] for r < 12, each element
// computed exactly as MicroKernelRows does.
using MicroKernelRows12 = void (*)(int64_t kc, const float* a, int64_t a_step, const float* b, float* const* rows);
// rows[r][0:32] += (two A micro-panels a_step apart * two B panels b_step apart)[r] for r < 12: two
// MicroKernelRows12 tiles side by side, the left one added first, each element computed exactly as
// there, with 24 accumulators so each broadcast of A feeds two FMAs (the 12x16 tile issues a load per
// FMA).
using MicroKernelRows12x32 = void (*)(int64_t kc, const float* a, int64_t a_step, const float* b, int64_t b_step,
                                      float* const* rows);
// MicroKernelRanges for a full 12x16 tile: the pieces a[i] and a[i] + a_step of two micro-panels.
using MicroKernelRanges12 = void (*)(int nranges, const float* const* a, int64_t a_step, const int64_t* kc,
                                     const float* b, float* c, int64_t ldc, float beta);

// A tile of small products, where packing B would cost more than it saves: C[0:m, 0:n] = alpha *
// A B + beta * C over kc steps for m <= rows and n <= the kernel's panels * kNR, with B(p, c) at
// b[p * ldb + (c / kNR) * b_panel + c % kNR] (a row-major B read in place: b_panel = kNR; packed
// panels: ldb = kNR, b_panel = kc * kNR), every panel column readable, and A(r, p) either at
// a[p * lda + r] (by steps: op(A) = A^T read in place) or in packed micro-panels lda floats apart
// (by panels), every row r < rows readable. Each element gets MicroKernel's exact sequence of
// operations.
using MicroKernelDirect = void (*)(int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb,
                                   int64_t b_panel, float* c, int64_t ldc, int m, int n, float alpha, float beta);
struct DirectTile {
  int rows = 0, panels = 0;  // tiles of up to rows x (panels * kNR); rows a multiple of kMR
  // [q]: the tile of q + 1 panels, A by steps or by panels.
  MicroKernelDirect by_steps[2] = {}, by_panels[2] = {};
};

// Packs kc x nc of op(B) starting at (p0, j0); see the layout above.
using PackB = void (*)(bool trans, const float* B, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int64_t nc,
                       float* out);

// Packs mc x kc of op(A) starting at (i0, p0); may write up to kPackSlack floats past the end.
using PackA = void (*)(bool trans, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t p0, int64_t kc,
                       float* out);
constexpr int64_t kPackSlack = 8;

// One ISA's kernels, chosen once by gemm.cpp. The micro-kernels of every ISA are one template
// (gemm_tile.h) over a vector-traits type (simd/vec_traits.h), instantiated by gemm_generic.cpp,
// gemm_avx2.cpp and gemm_avx512.cpp, each compiled with its own ISA flags.
struct Kernels {
  MicroKernel micro;
  PackA pack_a;
  PackB pack_b;
  MicroKernelRows rows;
  MicroKernelRanges ranges;
  // Full tiles of two micro-panels and/or two B panels, where the ISA has the registers for them.
  MicroKernelWide wide12 = nullptr;  // 12x32
  MicroKernelWide wide6 = nullptr;   // 6x32
  MicroKernelWide tall = nullptr;    // 12x16
  MicroKernelRows12 rows12 = nullptr;
  MicroKernelRanges12 ranges12 = nullptr;
  MicroKernelRows12x32 rows12x32 = nullptr;
  // Direct tiles: the widest the registers hold, a taller one of one panel for narrow C, and the
  // 6-row one for short edges.
  DirectTile direct_wide, direct_narrow, direct_small;
};

// The portable kernels (gemm_generic.cpp): any CPU, the only ones on non-x86 builds.
Kernels kernels_generic();
// AVX2+FMA (gemm_avx2.cpp) and AVX-512 (gemm_avx512.cpp, with AVX2's packers): x86 builds only
// (NNLAB_X86_KERNELS), called only after a run-time CPU check. The same tiles and per-element
// operations, so bit-identical results; AVX-512 adds the wide tiles.
Kernels kernels_avx2();
Kernels kernels_avx512();
// The AVX2 packers (the transposed cases go through 8x8 register transposes).
void pack_a_avx2(bool trans, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* out);
void pack_b_avx2(bool trans, const float* B, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float* out);

}  // namespace nn::cpu::gemm_detail
