// conv2d on the CPU as GEMMs. Work is split statically (images, or output channels for the
// small-map weight gradient), so the partition (hence every floating-point sum) depends only on
// the thread count. Tiers, first match wins:
//  - AVX2, 3x3 stride-1 convs with >= 32 channels in and >= 64 out per group on even-sized maps of
//    >= 4x4 (ResNet's 8x8 and 4x4 stages): Winograd F(2x2, 3x3), forward and input gradient
//    (conv_winograd.h);
//  - small maps with large batches (<= 64 output positions, batch >= 32, >= 16 channels): one
//    product per output position over the images, valid taps only (conv2d_small.h);
//  - AVX-512, few channels (<= 16 in and out) on small images, no padding, batch >= 8: the batch
//    in the SIMD lanes, every pass (conv_lanes.h);
//  - AVX2, forward of stride-1 convs with >= 16 output channels per group and >= 32 products per
//    output: row tiles of outputs x channels, input broadcast straight from the image (conv_rows.h);
//  - AVX2, weight gradient of 3x3 stride-1 convs with >= 16 output channels per group (the seed
//    CNN's conv2, alone or as a batched ensemble's groups): tiles of taps x output channels fed
//    straight from the image and a transposed dy, no packed operands (conv_bww3x3.h);
//  - AVX2, one group or groups of >= 6 output channels (a batched ensemble's stacked members):
//    products on gather matrices (conv2d_gathered.h), operands packed straight from x (a padded,
//    stride-phase-split copy when needed) and dy, group after group; the input gradient there
//    needs stride 1 and no padding; a direct kernel for weight gradients with C/groups*R*S <= 27
//    (conv_direct.h);
//  - AVX-512, input gradient of stride-1 unpadded convs with one group, C*R*S a multiple of 12
//    and output rows of >= 8 positions (the seed CNN's conv2), when forced with
//    NNLAB_CONV_ALGO=span (gathered comes first): products on the output positions themselves,
//    each tile row permuted onto its span of dx in registers (conv_bwi_span.h);
//  - stride 1, no padding (portable kernels): one product per image on weights packed once;
//  - otherwise im2col + GEMM, small images lowered several at a time (columns of image b at
//    b*OH*OW) so the GEMM's free dimension is large enough to run at full speed.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <memory>
#include <vector>

#include "../../core/error.h"
#include "../../core/thread_pool.h"
#include "../../kernels/conv.h"
#include "../simd/aligned.h"
#include "conv2d_gathered.h"
#include "conv2d_small.h"
#include "conv_bww3x3.h"
#include "conv_bwi_span.h"
#include "conv_rows.h"
#include "conv_direct.h"
#include "conv_lanes.h"
#include "conv_lowering.h"
#include "conv_winograd.h"
#include "conv_algorithms.h"
#include "../simd/simd.h"
#include "../../core/flags.h"
#include "../cpu_backend.h"
#include "../gemm/gemm.h"

namespace nn {
namespace {

using cpu::ConvPlan;

std::unique_ptr<float[]> scratch(int64_t n) { return std::unique_ptr<float[]>(new float[n > 0 ? n : 1]); }

// Runs body(task, n0, n1, parallel_gemm) over the batch. With at least as many images as
// threads, each thread gets one contiguous image range and must use serial GEMMs; otherwise
// images run one after the other and each GEMM uses the whole pool.
int64_t image_tasks(const ConvPlan& p) {
  int64_t nt = num_threads();
  return p.n >= nt && nt > 1 ? nt : 1;
}

// Per-task buffers, allocated by the calling thread before the parallel region: an allocation
// failure must surface as an OutOfMemory error, never escape a worker thread.
struct Buffers {
  std::vector<std::unique_ptr<float[]>> col, tmp;
  int64_t nb_max;  // images lowered together
  Buffers(const ConvPlan& p, int64_t ntasks, bool need_tmp, int64_t extra_rows = 0) {
    nb_max = std::min(p.batch, std::max<int64_t>(1, (p.n + ntasks - 1) / ntasks));
    bool col_used = nb_max > 1 || !p.direct;
    for (int64_t t = 0; t < ntasks; ++t) {
      col.push_back(scratch(col_used ? (p.crs + extra_rows) * nb_max * p.ohw : 0));
      tmp.push_back(scratch(need_tmp && nb_max > 1 ? p.kg * nb_max * p.ohw : 0));
    }
  }
};

template <typename Body>
void over_images(const ConvPlan& p, Body body) {
  int64_t nt = image_tasks(p);
  if (nt > 1) {
    parallel_tasks(nt, [&](int64_t t) { body(t, p.n * t / nt, p.n * (t + 1) / nt, false); });
  } else {
    body(0, 0, p.n, num_threads() > 1);
  }
}

// over_images, each task's images in chunks of at most buf.nb_max lowered together:
// chunk(t, first image, images, the task's col and tmp buffers, whether the GEMM may go parallel).
template <typename Chunk>
void over_chunks(const ConvPlan& p, const Buffers& buf, Chunk chunk) {
  over_images(p, [&](int64_t t, int64_t n0, int64_t n1, bool par) {
    for (int64_t i = n0; i < n1; i += buf.nb_max)
      chunk(t, i, std::min(buf.nb_max, n1 - i), buf.col[t].get(), buf.tmp[t].get(), par);
  });
}

using cpu::AlignedFloats;

// Per-image products on whole packed operands (gemm.h): each task owns whole images, so this
// needs every thread to get at least one; and a lowered image must stay small enough for L2.
bool per_image_packed(const ConvPlan& p, int64_t kdim) {
  return p.a.groups == 1 && (num_threads() == 1 || p.n >= num_threads()) &&
         cpu::packed_b_floats(kdim, p.ohw) <= (int64_t(1) << 18);
}

void run_gemm(const GemmArgs& g, const float* A, const float* B, float* C, bool parallel) {
  if (parallel)
    cpu::sgemm(g, A, B, C);
  else
    cpu::sgemm_serial(g, A, B, C);
}

// Group g of dy for images i..i+nb-1 as one [kg, nb*ohw] matrix: dy itself for one image, else
// gathered into tmp.
const float* dy_group(const ConvPlan& p, const float* dy, int64_t i, int64_t nb, int64_t g, float* tmp) {
  if (nb == 1) return dy + (i * p.a.k + g * p.kg) * p.ohw;
  const int64_t ld = nb * p.ohw;
  for (int64_t k = 0; k < p.kg; ++k)
    for (int64_t b = 0; b < nb; ++b)
      std::memcpy(tmp + k * ld + b * p.ohw, dy + ((i + b) * p.a.k + g * p.kg + k) * p.ohw, sizeof(float) * p.ohw);
  return tmp;
}

}  // namespace

namespace {

// Forward as one product per image: weights (augmented by the bias column) packed once, each
// image lowered straight into packed panels, results written in place in y.
void forward_packed(const ConvPlan& p, const float* x, const float* w, const float* bias, float* y) {
  const Conv2dArgs& a = p.a;
  const bool aug = bias != nullptr;
  const int64_t kdim = p.crs + (aug ? 1 : 0);
  std::vector<float> waug;
  const float* A = weights_with_bias_column(p, w, bias, waug);
  cpu::PackedA pa;
  if (!cpu::pack_a_whole(false, A, kdim, a.k, kdim, &pa)) throw std::bad_alloc();
  const int64_t nt = image_tasks(p);
  // One panel at a time, multiplied while it is still in L1: lowering a whole image first
  // writes it out to L2 and costs a third of the product.
  constexpr int64_t W = cpu::kPanelWidth;
  std::vector<AlignedFloats> panels;
  for (int64_t t = 0; t < nt; ++t) panels.emplace_back(cpu::packed_b_floats(kdim, W));
  parallel_tasks(nt, [&](int64_t t) {
    float* bp = panels[t].get();
    for (int64_t i = p.n * t / nt; i < p.n * (t + 1) / nt; ++i)
      for (int64_t q0 = 0; q0 < p.ohw; q0 += W) {
        const int64_t q1 = std::min(p.ohw, q0 + W);
        cpu::conv_panels(p, x, i, q0, q1, aug, bp);
        cpu::gemm_packed_serial(pa, bp, q1 - q0, y + i * a.k * p.ohw + q0, p.ohw);
      }
  });
}

// Backward-input as one product per image, dcol = W^T dy_i with W^T packed once, then col2im.
void backward_input_packed(const ConvPlan& p, const float* dy, const float* w, float* dx) {
  const Conv2dArgs& a = p.a;
  cpu::PackedA pa;
  if (!cpu::pack_a_whole(true, w, p.crs, p.crs, a.k, &pa)) throw std::bad_alloc();
  // Stride 1 without padding runs on the W grid (conv_lowering.h): 18% more columns for the
  // seed CNN's conv2, but col2im becomes one contiguous add per tap instead of OH short ones,
  // which costs more than the extra columns. Zero columns stay zero only with finite weights.
  const bool grid = cpu::panels_apply(a) && std::all_of(w, w + a.k * p.crs, [](float v) { return std::isfinite(v); });
  const int64_t cols = grid ? a.oh * a.w : p.ohw;
  std::vector<int32_t> offsets = grid ? cpu::wgrid_offsets(p) : std::vector<int32_t>();
  const int64_t nt = image_tasks(p);
  std::vector<AlignedFloats> panels, dcol;
  for (int64_t t = 0; t < nt; ++t) {
    panels.emplace_back(cpu::packed_b_floats(a.k, cols));
    dcol.emplace_back(p.crs * cols);
  }
  parallel_tasks(nt, [&](int64_t t) {
    float *bp = panels[t].get(), *col = dcol[t].get();
    for (int64_t i = p.n * t / nt; i < p.n * (t + 1) / nt; ++i) {
      if (grid) {
        cpu::pack_dy_wgrid(p, dy, i, offsets.data(), bp);
        cpu::gemm_packed_serial(pa, bp, a.oh * a.w, col, a.oh * a.w);
        cpu::col2im_wgrid(p, col, i, dx);
      } else {
        cpu::pack_b_whole(false, dy + i * a.k * p.ohw, p.ohw, a.k, p.ohw, bp);
        cpu::gemm_packed_serial(pa, bp, p.ohw, col, p.ohw);
        std::fill_n(dx + i * a.c * p.hw, a.c * p.hw, 0.f);
        cpu::col2im(p, col, i, 1, 0, dx, false);
      }
    }
  });
}

// ---- The algorithms, one function per pass. Each returns false when it declines at run time
// (weights that are not all finite, a shape the lowered path would not fit), and the dispatcher
// then tries the next algorithm of the table.

#if NNLAB_X86_KERNELS  // Winograd, row, direct, 3x3-weight and gathered kernels: x86 only (simd.h)
bool winograd_fwd(const Conv2dArgs& a, const float* x, const float* w, const float* bias, float* y) {
  return cpu::winograd_forward(a, x, w, bias, y);
}
bool winograd_bwi(const Conv2dArgs& a, const float* dy, const float* w, float* dx) {
  return cpu::winograd_backward_input(a, dy, w, dx);
}

#endif

// Table entries return whether they ran; these algorithms always run once their `applies` said
// yes, so one adapter turns each of their passes into an entry.
template <auto Pass>
struct Always;
template <typename... Args, void (*Pass)(Args...)>
struct Always<Pass> {
  static bool run(Args... args) {
    Pass(args...);
    return true;
  }
};

#if NNLAB_X86_KERNELS
bool gathered_fwd(const Conv2dArgs& a, const float* x, const float* w, const float* bias, float* y) {
  ConvPlan p(a);
  const cpu::LoweredInput in(a, x);
  const cpu::ForwardGathered plan(p, in, w, bias);
  const int64_t nt = image_tasks(p);
  std::vector<std::unique_ptr<cpu::ForwardGathered::Scratch>> ws;
  for (int64_t t = 0; t < nt; ++t) ws.push_back(std::make_unique<cpu::ForwardGathered::Scratch>(plan));
  parallel_tasks(nt, [&](int64_t t) { plan.run(p.n * t / nt, p.n * (t + 1) / nt, y, *ws[t]); });
  return true;
}

bool all_finite(const float* v, int64_t n) {
  return std::all_of(v, v + n, [](float e) { return std::isfinite(e); });
}

bool gathered_bwi(const Conv2dArgs& a, const float* dy, const float* w, float* dx) {
  ConvPlan p(a);
  if (!all_finite(w, a.k * p.crs)) return false;
  const cpu::BackwardInputGathered plan(p, w);
  const int64_t nt = image_tasks(p);
  std::vector<std::unique_ptr<cpu::BackwardInputGathered::Scratch>> ws;
  for (int64_t t = 0; t < nt; ++t) ws.push_back(std::make_unique<cpu::BackwardInputGathered::Scratch>(plan));
  parallel_tasks(nt, [&](int64_t t) { plan.run(dy, p.n * t / nt, p.n * (t + 1) / nt, dx, *ws[t]); });
  return true;
}

#endif

bool packed_fwd(const Conv2dArgs& a, const float* x, const float* w, const float* bias, float* y) {
  ConvPlan p(a);
  if (!per_image_packed(p, p.crs + (bias ? 1 : 0))) return false;
  forward_packed(p, x, w, bias, y);
  return true;
}

bool packed_bwi(const Conv2dArgs& a, const float* dy, const float* w, float* dx) {
  ConvPlan p(a);
  if (!(per_image_packed(p, a.k) && p.crs * a.oh * a.w <= (int64_t(1) << 18))) return false;
  backward_input_packed(p, dy, w, dx);
  return true;
}

// The weight gradient's partial sums: one per task (task 0 writes dw itself), added in task
// order afterwards, so the sum's order depends only on the thread count.
class WeightPartials {
 public:
  WeightPartials(const ConvPlan& p, float* dw) : dw_(dw), size_(p.a.k * p.crs), tasks_(image_tasks(p)) {
    for (int64_t t = 1; t < tasks_; ++t) partials_.push_back(scratch(size_));
  }
  int64_t tasks() const { return tasks_; }
  float* of(int64_t task) { return task == 0 ? dw_ : partials_[task - 1].get(); }
  void sum() {
    if (partials_.empty()) return;
    parallel_for(size_, 4096, [&](int64_t lo, int64_t hi) {
      for (auto& part : partials_) {
        const float* src = part.get();
        for (int64_t e = lo; e < hi; ++e) dw_[e] += src[e];
      }
    });
  }

 private:
  float* dw_;
  int64_t size_, tasks_;
  std::vector<std::unique_ptr<float[]>> partials_;
};

#if NNLAB_X86_KERNELS
// Few taps per output channel: a GEMM's k dimension (C*R*S) would be tiny.
bool direct_applies(const Conv2dArgs& a) {
  return cpu::gathered_input_apply(a) && (a.c / a.groups) * a.r * a.s <= 27 && a.s <= 5;
}

bool direct_bww(const Conv2dArgs& a, const float* x, const float* dy, float* dw) {
  ConvPlan p(a);
  WeightPartials parts(p, dw);
  const int64_t nt = parts.tasks();
  const cpu::DirectConv dc{p.cg, a.h, a.w, p.kg, a.r, a.s, a.dil_h, a.dil_w, a.oh, a.ow, a.c, a.k};
  parallel_tasks(nt, [&](int64_t t) {
    float* acc = parts.of(t);
    for (int64_t g = 0; g < a.groups; ++g)
      cpu::conv_bww_direct_avx2(dc, x + g * p.cg * p.hw, dy + g * p.kg * p.ohw, p.n * t / nt, p.n * (t + 1) / nt,
                                acc + g * p.kg * p.crs);
  });
  parts.sum();
  return true;
}

// Kernels on the lowered input (x, or its padded, phase-split copy): one image range per task, each
// with its own scratch (allocated here, before the parallel region) and partial sum.
template <typename MakeScratch, typename Kernel>
bool on_lowered_input(const Conv2dArgs& a, const float* x, const float* dy, float* dw, MakeScratch make_scratch,
                      Kernel kernel) {
  ConvPlan p(a);
  WeightPartials parts(p, dw);
  const int64_t nt = parts.tasks();
  const ConvPlan& cp = p;
  std::vector<decltype(make_scratch(cp))> ws;
  for (int64_t t = 0; t < nt; ++t) ws.push_back(make_scratch(cp));
  const cpu::LoweredInput in(a, x);
  parallel_tasks(nt, [&](int64_t t) { kernel(p, in, dy, p.n * t / nt, p.n * (t + 1) / nt, parts.of(t), *ws[t]); });
  parts.sum();
  return true;
}

bool bww3x3_bww(const Conv2dArgs& a, const float* x, const float* dy, float* dw) {
  return on_lowered_input(
      a, x, dy, dw, [](const ConvPlan& p) { return std::make_unique<cpu::Bww3x3Scratch>(p); },
      cpu::backward_weight_3x3);
}

bool gathered_bww(const Conv2dArgs& a, const float* x, const float* dy, float* dw) {
  return on_lowered_input(
      a, x, dy, dw, [](const ConvPlan& p) { return std::make_unique<cpu::GatherScratch>(p); },
      cpu::backward_weight_gathered);
}

#endif

// im2col + GEMM: applies to every shape, the last entry of the table.
bool im2col_fwd(const Conv2dArgs& a, const float* x, const float* w, const float* bias, float* y) {
  ConvPlan p(a);
  // With a bias, lowered products multiply W augmented by a bias column with the column matrix
  // extended by a row of ones, so the GEMM adds the bias without another pass over y.
  const bool aug = bias != nullptr;
  const int64_t kdim = p.crs + (aug ? 1 : 0);
  std::vector<float> waug;
  if (aug) {
    waug.resize(static_cast<size_t>(a.k * kdim));
    for (int64_t k = 0; k < a.k; ++k) {
      std::copy_n(w + k * p.crs, p.crs, waug.data() + k * kdim);
      waug[k * kdim + p.crs] = bias[k];
    }
  }
  Buffers buf(p, image_tasks(p), true, aug ? 1 : 0);
  over_chunks(p, buf, [&](int64_t, int64_t i, int64_t nb, float* col, float* tmp, bool par) {
    for (int64_t g = 0; g < a.groups; ++g) {
      const float* wg = w + g * p.kg * p.crs;
      const float* B;
      int64_t ldb;
      bool lowered = !(p.direct && nb == 1);
      if (p.direct && nb == 1) {
        B = x + (i * a.c + g * p.cg) * p.hw;
        ldb = p.hw;
      } else {
        cpu::im2col(p, x, i, nb, g, col, par);
        B = col;
        ldb = nb * p.ohw;
        if (aug) std::fill_n(col + p.crs * ldb, ldb, 1.f);
      }
      const float* A = lowered && aug ? waug.data() + g * p.kg * kdim : wg;
      int64_t lda = lowered && aug ? kdim : p.crs, kk = lda;
      if (nb == 1) {
        float* yg = y + (i * a.k + g * p.kg) * p.ohw;
        bool prefill = bias && !lowered;  // the GEMM then adds the product to it (beta = 1)
        if (prefill)
          for (int64_t k = 0; k < p.kg; ++k) std::fill_n(yg + k * p.ohw, p.ohw, bias[g * p.kg + k]);
        run_gemm(gemm_args(false, false, p.kg, p.ohw, kk, lda, ldb, p.ohw, prefill ? 1.f : 0.f), A, B, yg, par);
      } else {
        int64_t ld = nb * p.ohw;
        run_gemm(gemm_args(false, false, p.kg, ld, kk, lda, ldb, ld, 0.f), A, B, tmp, par);
        for (int64_t b = 0; b < nb; ++b)
          for (int64_t k = 0; k < p.kg; ++k)
            std::copy_n(tmp + k * ld + b * p.ohw, p.ohw, y + ((i + b) * a.k + g * p.kg + k) * p.ohw);
      }
    }
  });
  return true;
}

bool im2col_bwi(const Conv2dArgs& a, const float* dy, const float* w, float* dx) {
  ConvPlan p(a);
  Buffers buf(p, image_tasks(p), true);
  over_chunks(p, buf, [&](int64_t, int64_t i, int64_t nb, float* col, float* tmp, bool par) {
    if (!(p.direct && nb == 1)) std::fill_n(dx + i * a.c * p.hw, nb * a.c * p.hw, 0.f);
    for (int64_t g = 0; g < a.groups; ++g) {
      const float* wg = w + g * p.kg * p.crs;
      const float* B = dy_group(p, dy, i, nb, g, tmp);
      int64_t ld = nb * p.ohw;
      // dcol[crs, cols] = W_g^T [crs, kg] * dy_g [kg, cols]
      if (p.direct && nb == 1) {
        run_gemm(gemm_args(true, false, p.crs, ld, p.kg, p.crs, ld, ld, 0.f), wg, B, dx + (i * a.c + g * p.cg) * p.hw,
                 par);
      } else {
        run_gemm(gemm_args(true, false, p.crs, ld, p.kg, p.crs, ld, ld, 0.f), wg, B, col, par);
        cpu::col2im(p, col, i, nb, g, dx, par);
      }
    }
  });
  return true;
}

bool im2col_bww(const Conv2dArgs& a, const float* x, const float* dy, float* dw) {
  ConvPlan p(a);
  WeightPartials parts(p, dw);
  const int64_t wsize = a.k * p.crs;
  Buffers buf(p, parts.tasks(), true);
  for (int64_t t = 0; t < parts.tasks(); ++t) std::fill_n(parts.of(t), wsize, 0.f);
  over_chunks(p, buf, [&](int64_t t, int64_t i, int64_t nb, float* col, float* tmp, bool par) {
    float* acc = parts.of(t);
    int64_t ld = nb * p.ohw;
    for (int64_t g = 0; g < a.groups; ++g) {
      const float* A = dy_group(p, dy, i, nb, g, tmp);
      const float* B;
      if (p.direct && nb == 1) {
        B = x + (i * a.c + g * p.cg) * p.hw;
      } else {
        cpu::im2col(p, x, i, nb, g, col, par);
        B = col;
      }
      // dW_g[kg, crs] += dy_g [kg, cols] * col^T [cols, crs]
      run_gemm(gemm_args(false, true, p.kg, p.crs, ld, ld, ld, p.crs, 1.f), A, B, acc + g * p.kg * p.crs, par);
    }
  });
  parts.sum();
  return true;
}

bool always(const Conv2dArgs&) { return true; }

// First match wins, in this order, for each pass the algorithm implements (the comment at the
// top of this file says when each applies and why it is there).
const cpu::ConvAlgorithm kAlgorithms[] = {
#if NNLAB_X86_KERNELS
    {"winograd", cpu::winograd_apply, winograd_fwd, cpu::winograd_input_apply, winograd_bwi, nullptr, nullptr},
#endif
    {"small-maps", cpu::small_maps_apply, Always<cpu::small_maps_forward>::run, cpu::small_maps_apply,
     Always<cpu::small_maps_backward_input>::run, cpu::small_maps_apply, Always<cpu::small_maps_backward_weight>::run},
#if NNLAB_X86_KERNELS
    {"lanes", cpu::lanes_apply, Always<cpu::lanes_forward>::run, cpu::lanes_apply,
     Always<cpu::lanes_backward_input>::run, cpu::lanes_apply, Always<cpu::lanes_backward_weight>::run},
    {"rows", cpu::rows_forward_apply, Always<cpu::rows_forward>::run, nullptr, nullptr, nullptr, nullptr},
    {"direct", nullptr, nullptr, nullptr, nullptr, direct_applies, direct_bww},
    {"bww3x3", nullptr, nullptr, nullptr, nullptr, cpu::bww3x3_apply, bww3x3_bww},
    {"gathered", cpu::gathered_apply, gathered_fwd, cpu::gathered_input_apply, gathered_bwi, cpu::gathered_apply,
     gathered_bww},
    // After gathered, so only NNLAB_CONV_ALGO=span runs it: faster on the seed CNN's conv2, but dx's
    // tap contributions are summed in another order than gathered's, which moves `nnlab train`'s
    // seed-0 figures by rounding; it has no AVX2 kernel, so as a default the AVX2 and AVX-512 builds
    // would no longer agree bit for bit; and on wide output rows (28x28 maps and up) it is slower.
    {"span", nullptr, nullptr, cpu::bwi_span_apply, cpu::bwi_span, nullptr, nullptr},
#endif
    {"packed", cpu::panels_apply, packed_fwd, always, packed_bwi, nullptr, nullptr},
    {"im2col", always, im2col_fwd, always, im2col_bwi, always, im2col_bww},
};

// NNLAB_CONV_ALGO=name runs that algorithm wherever it applies (the table's order elsewhere). An
// unknown name is an error at the first convolution, naming the known ones.
const cpu::ConvAlgorithm* forced_algorithm() {
  const std::string& name = flags().conv_algo;
  if (name.empty()) return nullptr;
  for (const auto& alg : kAlgorithms)
    if (name == alg.name) return &alg;
  std::string known;
  for (const auto& alg : kAlgorithms) known += std::string(known.empty() ? "" : ", ") + alg.name;
  fail(ErrorCode::Argument, "NNLAB_CONV_ALGO='", name, "' is not a convolution algorithm (known: ", known, ")");
}

constexpr size_t kAlgorithmCount = sizeof(kAlgorithms) / sizeof(kAlgorithms[0]);

// Calls per algorithm and pass (forward, input, weight) since the process started: which
// algorithm a model's convolutions actually ran, for users timing NNLAB_CONV_ALGO and for tests.
std::atomic<uint64_t> g_runs[kAlgorithmCount][3];

// Runs the first algorithm that applies to this pass and shape and does not decline.
template <typename Applies, typename Run, typename... Args>
void dispatch(int pass, Applies cpu::ConvAlgorithm::*applies, Run cpu::ConvAlgorithm::*run, const Conv2dArgs& a,
              Args... args) {
  auto try_one = [&](const cpu::ConvAlgorithm& alg) {
    if (!(alg.*applies && alg.*run && (alg.*applies)(a) && (alg.*run)(a, args...))) return false;
    g_runs[&alg - kAlgorithms][pass].fetch_add(1, std::memory_order_relaxed);
    return true;
  };
  if (const cpu::ConvAlgorithm* forced = forced_algorithm(); forced && try_one(*forced)) return;
  for (const auto& alg : kAlgorithms)
    if (try_one(alg)) return;
  fail(ErrorCode::Internal, "conv2d: no algorithm ran (im2col always applies)");
}

}  // namespace

const char* cpu::first_conv_algorithm(int pass, const Conv2dArgs& a) {
  auto applies = [&](const cpu::ConvAlgorithm& alg) {
    switch (pass) {
      case 0:
        return alg.applies_forward && alg.forward && alg.applies_forward(a);
      case 1:
        return alg.applies_input && alg.backward_input && alg.applies_input(a);
      default:
        return alg.applies_weight && alg.backward_weight && alg.applies_weight(a);
    }
  };
  if (const cpu::ConvAlgorithm* forced = forced_algorithm(); forced && applies(*forced)) return forced->name;
  for (const auto& alg : kAlgorithms)
    if (applies(alg)) return alg.name;
  return "";
}

std::vector<ConvAlgorithmRuns> cpu_conv_algorithms() {
  std::vector<ConvAlgorithmRuns> out;
  for (size_t i = 0; i < kAlgorithmCount; ++i)
    out.push_back({kAlgorithms[i].name, g_runs[i][0].load(), g_runs[i][1].load(), g_runs[i][2].load()});
  return out;
}

void CpuBackend::conv2d_forward(const Conv2dArgs& a, const float* x, const float* w, const float* bias, float* y) {
  dispatch(0, &cpu::ConvAlgorithm::applies_forward, &cpu::ConvAlgorithm::forward, a, x, w, bias, y);
}

void CpuBackend::conv2d_backward_input(const Conv2dArgs& a, const float* dy, const float* w, float* dx) {
  dispatch(1, &cpu::ConvAlgorithm::applies_input, &cpu::ConvAlgorithm::backward_input, a, dy, w, dx);
}

void CpuBackend::conv2d_backward_weight(const Conv2dArgs& a, const float* x, const float* dy, float* dw) {
  dispatch(2, &cpu::ConvAlgorithm::applies_weight, &cpu::ConvAlgorithm::backward_weight, a, x, dy, dw);
}

void CpuBackend::conv2d_backward_bias(const Conv2dArgs& a, const float* dy, float* db) {
  const int64_t ohw = a.oh * a.ow, threads = num_threads();
  if (a.n < threads) {
    parallel_for(a.k, grain_for_bytes(a.n * ohw * 4), [&](int64_t k0, int64_t k1) {
      for (int64_t k = k0; k < k1; ++k) {
        double total = 0;
        for (int64_t n = 0; n < a.n; ++n) total += cpu::sum_f32(dy + (n * a.k + k) * ohw, ohw);
        db[k] = static_cast<float>(total);
      }
    });
    return;
  }
  // Images split between threads, each reading its images in memory order into its own sums,
  // added in thread order. Split by channel, each thread hopped across images one small plane at
  // a time (conv2 of 7 batched seed CNNs: 28 MB at about 6 GB/s). A small dy keeps the same
  // partials, summed on the calling thread.
  std::vector<double> partial(static_cast<size_t>(threads * a.k), 0.0);
  parallel_tasks(threads, a.n * a.k * ohw * 4, [&](int64_t t) {
    double* sums = partial.data() + t * a.k;
    for (int64_t n = a.n * t / threads; n < a.n * (t + 1) / threads; ++n)
      for (int64_t k = 0; k < a.k; ++k) sums[k] += cpu::sum_f32(dy + (n * a.k + k) * ohw, ohw);
  });
  for (int64_t k = 0; k < a.k; ++k) {
    double total = 0;
    for (int64_t t = 0; t < threads; ++t) total += partial[t * a.k + k];
    db[k] = static_cast<float>(total);
  }
}

}  // namespace nn
