// The backward of a convolution then max pooling when the input needs its gradient too (a
// batched ensemble's conv2: its grouped convolution and pooling as one op, lib/ensemble). Run
// apart, the gradient that pooling scatters into the convolution's output goes to memory whole
// (27 MB for 7 stacked seed CNNs) and comes back three times: input gradient, weight gradient,
// bias gradient. Here each task takes its own images a block at a time: the block's scattered
// gradient stays in that core's cache while the three passes read it.
//
// The results are those of the passes run apart, bit for bit (a batched member must train as its
// own `fit` run does): the same kernels the dispatcher picks for the whole batch (gathered input
// gradient, bww3x3 weight gradient), on the same images per task, the weight gradient summed over
// the same blocks in the same order, the bias in the same per-task double sums. Where that cannot
// be guaranteed (other algorithms, padding, fewer images than threads) the passes run apart over
// the whole batch.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "../../core/thread_pool.h"
#include "../cpu_backend.h"
#include "../simd/aligned.h"
#include "../simd/simd.h"
#include "conv2d_gathered.h"
#include "conv_algorithms.h"
#include "conv_bww3x3.h"
#include "conv_lowering.h"

namespace nn {
using cpu::AlignedFloats;
namespace {

#if NNLAB_X86_KERNELS
bool tiled_applies(const Conv2dArgs& c) {
  return c.stride_h == 1 && c.stride_w == 1 && c.pad_h == 0 && c.pad_w == 0 && c.n >= num_threads() &&
         std::strcmp(cpu::first_conv_algorithm(1, c), "gathered") == 0 &&
         std::strcmp(cpu::first_conv_algorithm(2, c), "bww3x3") == 0;
}

bool tiled_backward(CpuBackend& b, const Conv2dArgs& c, const Pool2dArgs& pool, const float* dy, const int32_t* idx,
                    const float* x, const float* w, float* dx, float* dw, float* db) {
  const cpu::ConvPlan full(c);
  if (!tiled_applies(c) || !std::all_of(w, w + c.k * full.crs, [](float v) { return std::isfinite(v); })) return false;
  // The whole-batch weight gradient's blocks (Bww3x3Scratch) and its tasks (one image range per
  // thread, as conv2d.cpp's image_tasks; the bias gradient splits the images the same way).
  const int64_t blk = cpu::Bww3x3Scratch(full).imgs, threads = num_threads(), nt = threads > 1 ? threads : 1;
  Conv2dArgs cb = c;
  cb.n = blk;
  const cpu::ConvPlan pb(cb);
  const cpu::BackwardInputGathered bwi(pb, w);
  const int64_t K = c.k, Q = c.oh * c.ow, img_dy = K * Q, img_x = c.c * c.h * c.w, wsize = K * full.crs;
  const int64_t pooled = pool.c * pool.oh * pool.ow;
  Pool2dArgs pbk = pool;
  // Per task, allocated here: an allocation failure must not escape a worker thread.
  std::vector<AlignedFloats> grad, part, tmp;
  std::vector<std::unique_ptr<cpu::BackwardInputGathered::Scratch>> sin;
  std::vector<std::unique_ptr<cpu::Bww3x3Scratch>> sw;
  std::vector<std::unique_ptr<cpu::LoweredInput>> in;
  for (int64_t t = 0; t < nt; ++t) {
    grad.emplace_back(blk * img_dy);
    part.emplace_back(t == 0 ? 0 : wsize);
    tmp.emplace_back(wsize);
    sin.push_back(std::make_unique<cpu::BackwardInputGathered::Scratch>(bwi));
    sw.push_back(std::make_unique<cpu::Bww3x3Scratch>(pb));
    in.push_back(std::make_unique<cpu::LoweredInput>(c, x));
  }
  std::vector<double> bias_sums(static_cast<size_t>(nt * K), 0.0);
  parallel_tasks(nt, [&](int64_t t) {
    const int64_t n0 = c.n * t / nt, n1 = c.n * (t + 1) / nt;
    float *g = grad[t].get(), *chain = t == 0 ? dw : part[t].get();
    double* sums = bias_sums.data() + t * K;
    for (int64_t b0 = n0; b0 < n1; b0 += blk) {
      const int64_t m = std::min(blk, n1 - b0);
      Pool2dArgs pm = pbk;
      pm.n = m;
      b.maxpool2d_backward(pm, dy + b0 * pooled, idx + b0 * pooled, g);  // nested: runs on this thread
      if (db)
        for (int64_t i = 0; i < m; ++i)
          for (int64_t k = 0; k < K; ++k) sums[k] += cpu::sum_f32(g + (i * K + k) * Q, Q);
      bwi.run(g, 0, m, dx + b0 * img_x, *sin[t]);
      in[t]->base = x + b0 * img_x;
      // The first block writes the task's sum; later ones are added to it, as the kernel adds
      // its blocks (a block's sum is formed from zero).
      float* out = b0 == n0 ? chain : tmp[t].get();
      cpu::backward_weight_3x3(pb, *in[t], g, 0, m, out, *sw[t]);
      if (out != chain)
        for (int64_t e = 0; e < wsize; ++e) chain[e] += out[e];
    }
  });
  // Task order, as conv2d.cpp's WeightPartials and the bias gradient add theirs.
  if (nt > 1)
    parallel_for(wsize, 4096, [&](int64_t lo, int64_t hi) {
      for (int64_t t = 1; t < nt; ++t) {
        const float* src = part[t].get();
        for (int64_t e = lo; e < hi; ++e) dw[e] += src[e];
      }
    });
  if (db)
    for (int64_t k = 0; k < K; ++k) {
      double total = 0;
      for (int64_t t = 0; t < nt; ++t) total += bias_sums[t * K + k];
      db[k] = static_cast<float>(total);
    }
  return true;
}
#endif

}  // namespace

bool CpuBackend::conv2d_maxpool_backward_all(const Conv2dArgs& c, const Pool2dArgs& pool, const float* dy,
                                             const int32_t* idx, const float* x, const float* w, float* dx, float* dw,
                                             float* db) {
#if NNLAB_X86_KERNELS
  if (tiled_backward(*this, c, pool, dy, idx, x, w, dx, dw, db)) return true;
#endif
  AlignedFloats g(c.n * c.k * c.oh * c.ow);
  maxpool2d_backward(pool, dy, idx, g.get());
  conv2d_backward_input(c, g.get(), w, dx);
  conv2d_backward_weight(c, x, g.get(), dw);
  if (db) conv2d_backward_bias(c, g.get(), db);
  return true;
}

}  // namespace nn
