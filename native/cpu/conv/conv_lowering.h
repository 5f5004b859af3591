// im2col / col2im lowering shared by the conv2d CPU kernels.
#pragma once
#include <cstdint>
#include <vector>

#include "../../backend.h"

namespace nn::cpu {

// Derived sizes of one conv2d call and how it is lowered to GEMMs.
struct ConvPlan {
  explicit ConvPlan(const Conv2dArgs& a);
  const Conv2dArgs& a;
  int64_t n, cg, kg, crs, hw, ohw;
  // A 1x1, stride-1, unpadded conv reads the image itself as its column matrix.
  bool direct;
  // Images lowered together into one column matrix (columns of image b start at b*ohw).
  int64_t batch;
};

// col[row, b*ohw + q] for row = (c*R + r)*S + s of group g, images n0 .. n0+nb-1 of x.
// `parallel` spreads the rows over the pool (when the caller is not already one task per thread).
void im2col(const ConvPlan& p, const float* x, int64_t n0, int64_t nb, int64_t g, float* col, bool parallel);
// The adjoint: dx[n0+b, g*cg + c, ...] += col[...] (dx is accumulated into, not overwritten).
void col2im(const ConvPlan& p, const float* col, int64_t n0, int64_t nb, int64_t g, float* dx, bool parallel);

// Whether conv_panels applies: stride 1, no padding, no dilation, one group.
bool panels_apply(const Conv2dArgs& a);
// One panel, columns [q0, q1) (q0 a multiple of kPanelWidth, q1 - q0 <= kPanelWidth), of image n0 of x lowered straight
// into packed GEMM panels (gemm.h): row (c*R + r)*S + s, column oh*OW + ow, plus a last row of ones when ones_row (the
// bias column of augmented weights).
void conv_panels(const ConvPlan& p, const float* x, int64_t n0, int64_t q0, int64_t q1, bool ones_row, float* out);

// Backward-input on the "W grid" (stride 1, no padding): output positions numbered oh*W + ow
// over the input's row width, the columns ow >= OW holding zeros. Then the column matrix row of
// tap (c, r, s) adds to dx[c] as one contiguous run starting at r*W + s.
// Source offset in dy's plane of each of the OH*W grid columns, -1 for the zero columns.
std::vector<int32_t> wgrid_offsets(const ConvPlan& p);
// dy of image n0 ([K, OH*OW]) packed as GEMM panels (gemm.h) of K rows by OH*W grid columns.
void pack_dy_wgrid(const ConvPlan& p, const float* dy, int64_t n0, const int32_t* offsets, float* out);
// dx[n0] = the adjoint of the lowering, from col [crs, OH*W] on the grid (dx overwritten).
void col2im_wgrid(const ConvPlan& p, const float* col, int64_t n0, float* dx);

// The weights as GEMM rows [K, crs + 1] with the bias as the last column, so that the product
// with lowered input that has a last row of ones (conv_panels' ones_row) adds the bias. Returns
// w itself when bias is null (rows [K, crs]); otherwise fills storage and returns its data.
const float* weights_with_bias_column(const ConvPlan& p, const float* w, const float* bias,
                                      std::vector<float>& storage);

// Sum of n floats with a fixed association order (8 running lanes), returned in double.
double sum_f32(const float* x, int64_t n);

}  // namespace nn::cpu
