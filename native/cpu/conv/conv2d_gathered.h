// conv2d passes whose GEMM operands are packed straight from x and dy (gather matrices,
// conv_gather.h): no column matrix, no copies of dy. AVX2 builds only; conv2d.cpp keeps the
// im2col paths for the portable kernels and the shapes these do not cover.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "../simd/aligned.h"
#include "conv_gather.h"
#include "conv_lowering.h"
#include "conv_window_pack.h"
#include "../gemm/gemm.h"

namespace nn::cpu {

// Whether the gathered forward and weight gradient apply: AVX2, any stride, padding and dilation;
// one group, or groups of at least kPanelHeight output channels each (a batched ensemble's
// grouped convolution: each group is an ordinary convolution on its own channel band, run one
// group after another on its own packed weights; thinner groups, e.g. depthwise, would fill
// micro-tiles with padding rows). The gathered input gradient needs stride 1 and no padding.
bool gathered_apply(const Conv2dArgs& a);
bool gathered_input_apply(const Conv2dArgs& a);

// The input as the lowering reads it: lowered row j = (c, r, s) at output position (oh, ow) is
// base[n*img + rows[j] + oh*roww + ow]. Rows run over all C channels, so group g's lowered
// rows are rows[g*crs ..] (crs = C/groups * R * S). Stride 1 without padding reads x itself (roww = W); else
// each image is copied once, zero-padded and split into stride phases (phase (ph, pw) holds the
// padded pixels (i*sh + ph, j*sw + pw)), so every tap reads a stride-1 window of one phase.
struct LoweredInput {
  LoweredInput(const Conv2dArgs& a, const float* x);
  const float* base;
  int64_t img, roww;
  std::vector<int64_t> rows;
  AlignedFloats buf;
  const float* end(int64_t n) const { return base + n * img; }
};

// Buffers of one task, allocated by the calling thread before the parallel region (an
// allocation failure must surface as an OutOfMemory error, never escape a worker thread).
struct GatherScratch {
  explicit GatherScratch(const ConvPlan& p);
  int64_t kcb;  // most k steps (output positions) per block of the weight gradient
  std::vector<int64_t> dyrow, xcol, dycol;
  std::vector<LaneGroup> gx, gdy;
  AlignedFloats a;  // packed dy block
  AlignedFloats b;  // one packed panel of the lowered input
};

// acc[K, C/groups*R*S] = sum over images [n0, n1) of dy_n [K, OH*OW] * lowered(x_n)^T, one
// product per group on its own rows of dy and lowered x (overwritten).
void backward_weight_gathered(const ConvPlan& p, const LoweredInput& x, const float* dy, int64_t n0, int64_t n1,
                              float* acc, GatherScratch& s);

// Forward as products of the packed weights (augmented by the bias column) with the lowered input,
// one 16-column panel at a time while it is in L1; with groups, one group after another (its
// weights stay in L2 while its panels stream by). A task's output positions are numbered across
// its images, so panels run on over image edges (no partial panel per image); a panel that
// straddles two images is computed into a scratch tile and copied out in two pieces (images of
// 256 positions or more keep their own panels). The panels' lane groups repeat every
// lcm(OH*OW, 16) positions (every image with own panels): built once per call for that period.
class ForwardGathered {
 public:
  ForwardGathered(const ConvPlan& p, const LoweredInput& x, const float* w, const float* bias);
  struct Scratch {
    explicit Scratch(const ForwardGathered& f);
    AlignedFloats panel;  // one lowered panel of one k block
    AlignedFloats tile;   // all output channels of a straddling panel
  };
  // y of images [n0, n1).
  void run(int64_t n0, int64_t n1, float* y, Scratch& s) const;

 private:
  const ConvPlan& p_;
  const LoweredInput& x_;
  bool aug_;
  int64_t kdim_, kcb_;
  std::unique_ptr<PackedA[]> w_;                                  // one packed weight matrix per group
  bool per_image_;                                                // panels restart at every image
  int64_t period_imgs_ = 0, period_panels_ = 0;                   // 0: groups built panel by panel (long periods)
  std::vector<LaneGroup> groups_;                                 // two per panel of one period
  void panel_groups(int64_t t0, int64_t nt, LaneGroup* g) const;  // built from scratch
  void run_group(int64_t grp, int64_t n0, int64_t n1, float* y, Scratch& s) const;  // one conv group
};

// Backward-input as a transposed product on the "W grid" (conv_lowering.h): dy is packed on
// grid columns oh*W + ow (zero where ow >= OW), so the lowered row of tap (c, r, s) adds to input
// plane c as one contiguous run starting at r*W + s. Rows of W^T are taken tap-major (tap, c), so
// the 6 rows of a GEMM tile fall in 6 different planes, and each tile is added straight into the
// image's planes (col2im folded into the product: no column matrix). A run is a whole panel
// wide: past the grid's end and on zero columns it adds zeros, into the next plane at worst.
// That needs finite weights (0 * inf would add NaN): the caller checks. With groups, each group
// adds into its own planes with its own packed W^T (a run may add zeros into the next group's
// planes, never past the image).
class BackwardInputGathered {
 public:
  BackwardInputGathered(const ConvPlan& p, const float* w);  // packs W^T once per call
  // Per-task buffers (allocated by the calling thread).
  struct Scratch {
    explicit Scratch(const BackwardInputGathered& b);
    AlignedFloats panel;                              // two packed dy panels of one k block (a pair of grid panels)
    float bounce[2 * kPanelHeight][2 * kPanelWidth];  // runs that would leave the image
  };
  // dx of images [n0, n1) (overwritten).
  void run(const float* dy, int64_t n0, int64_t n1, float* dx, Scratch& s) const;

 private:
  const ConvPlan& p_;
  std::unique_ptr<PackedA[]> wt_;     // per group: W_g^T, rows (tap, c), packed whole
  std::vector<int64_t> dyrow_;        // row k of the group's dy: k*OH*OW
  std::vector<int64_t> rowoff_;       // row (tap, c) of W_g^T: where its run starts in the group's planes
  std::vector<LaneGroup> groups_;     // two per 16-column grid panel
  std::vector<PanelWindow> windows_;  // one per grid panel, on AVX-512 (else empty: lane groups)
  int64_t grid_cols_, kcb_;
  // Group g of one image: dyg its dy band, planes its dx band with `room` floats of the image
  // from there on (runs that would reach past them go through the bounce rows); `next` is the dy
  // band that follows (nullptr: none), prefetched on the way.
  void add_group(int64_t g, const float* dy, const float* dyg, const float* next, float* planes, int64_t room,
                 Scratch& s) const;
};

}  // namespace nn::cpu
