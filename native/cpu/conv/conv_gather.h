// Gather matrices: the operands of a lowered convolution described without building them.
//
// A gather matrix is V[row, col] = base[rowoff[row] + coloff[col]], or 0 where coloff[col] < 0.
// The lowered input of a convolution is one (row = (c, r, s) tap, col = output position, possibly
// of several images), dy is one (row = output channel, col = position), and so is dy laid on a
// wider grid with zero columns. The packers below read such a matrix straight into the packed
// GEMM layouts of gemm.h / gemm_kernels.h, so no column matrix is ever written out.
//
// Columns are taken 8 at a time ("lane groups"): the 8 columns split into runs whose source
// offsets are consecutive (one run per output row touched, per image), and each run is one
// unaligned 8-float load masked to its lanes. A group's runs are computed once and reused for
// every row of the matrix.
#pragma once
#include <cstdint>

namespace nn::cpu {

struct alignas(32) LaneGroup {
  int32_t mask[8][8];          // run g covers the lanes where mask[g] is -1 (runs past ns cover none)
  int64_t delta[8];            // lane l of run g reads base + rowoff + delta[g] + l (runs past ns: delta[0])
  int32_t ns;                  // runs (0 .. 8); lanes covered by no run are zero
  int64_t reach_lo, reach_hi;  // every load stays in [rowoff + reach_lo, rowoff + reach_hi)
};

// The runs of 8 columns with source offsets off[0..nvalid) (off < 0: a zero column); lanes past
// nvalid are zero.
void build_lane_group(const int64_t* off, int nvalid, LaneGroup* g);
// Lane groups of ncols columns (ceil(ncols / 8) groups; the last one may be partial).
void build_lane_groups(const int64_t* coloff, int64_t ncols, LaneGroup* out);

// The gather matrix a packer reads: `base` plus row offsets; loads stay inside [lo, hi) (where a
// run's 8-float window would leave it, a masked load reads only the run's own lanes).
struct GatherRows {
  const float* base;
  const int64_t* rowoff;
  int64_t nrows;
  const float* lo;
  const float* hi;
};

// AVX2 packers (conv_gather_avx2.cpp); only called after a runtime CPU check.
//
// B panels (forward lowering, dy on a grid): columns in panels of 16 (two lane groups, g[0] and
// g[1], g[1] may be empty), out[row * 16 + lane]; with ones_row an extra last row is 1 on the
// covered columns (the bias row of augmented weights).
void pack_gather_panel_avx2(const GatherRows& m, const LaneGroup* g, bool ones_row, float* out);
// Transposed B panels (the lowered input of the weight gradient, whose columns are the GEMM's k
// steps): rows in panels of 16, out[(row / 16) * kc * 16 + col * 16 + row % 16] for the ncols =
// groups' columns (<= kc); rows past nrows up to the panel edge are zero.
void pack_gather_bt_avx2(const GatherRows& m, const LaneGroup* g, int64_t ngroups, int64_t ncols, int64_t kc,
                         float* out);
// Transposed A micro-panels (dy of the weight gradient): rows in panels of 6,
// out[(row / 6) * kc * 6 + col * 6 + row % 6]; rows past nrows up to the panel edge are zero.
void pack_gather_at_avx2(const GatherRows& m, const LaneGroup* g, int64_t ngroups, int64_t ncols, int64_t kc,
                         float* out);

}  // namespace nn::cpu
