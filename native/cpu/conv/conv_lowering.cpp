#include "conv_lowering.h"
#include "../../core/flags.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "../../core/thread_pool.h"
#include "../../kernels/conv.h"
#include "../gemm/gemm.h"

namespace nn::cpu {
namespace {

// Free dimension a lowered GEMM should reach, and the largest column matrix worth building
// to get there (floats): beyond it the matrix falls out of L2 and copying costs more than the
// bigger GEMM saves.
int64_t target_cols() {
  const int64_t n = flags().conv_cols;  // NNLAB_CONV_COLS: a tuning knob for benchmarks
  return n > 0 ? n : int64_t(512);
}
constexpr int64_t kMaxBatchedCol = int64_t(1) << 19;

}  // namespace

ConvPlan::ConvPlan(const Conv2dArgs& args) : a(args) {
  n = a.n;
  cg = a.c / a.groups;
  kg = a.k / a.groups;
  crs = cg * a.r * a.s;
  hw = a.h * a.w;
  ohw = a.oh * a.ow;
  direct = a.r == 1 && a.s == 1 && a.stride_h == 1 && a.stride_w == 1 && a.pad_h == 0 && a.pad_w == 0;
  batch = 1;
  if (!(direct && ohw >= 256) && ohw > 0) {
    batch = std::max<int64_t>(1, (target_cols() + ohw - 1) / ohw);
    batch = std::min(batch, std::max<int64_t>(1, kMaxBatchedCol / std::max<int64_t>(crs * ohw, 1)));
    batch = std::min(batch, std::max<int64_t>(n, 1));
  }
}

void im2col(const ConvPlan& p, const float* x, int64_t n0, int64_t nb, int64_t g, float* col, bool parallel) {
  const Conv2dArgs& a = p.a;
  const int64_t rs = a.r * a.s, ld = nb * p.ohw, OW = a.ow;
  auto rows = [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; ++row) {
      int64_t c = row / rs, r = (row / a.s) % a.r, s = row % a.s;
      int64_t oh_lo, oh_hi, ow_lo, ow_hi;
      conv_valid_range(a.h, a.oh, a.stride_h, a.pad_h, a.dil_h, r, &oh_lo, &oh_hi);
      conv_valid_range(a.w, a.ow, a.stride_w, a.pad_w, a.dil_w, s, &ow_lo, &ow_hi);
      int64_t iw0 = ow_lo * a.stride_w - a.pad_w + s * a.dil_w, len = ow_hi - ow_lo;
      for (int64_t b = 0; b < nb; ++b) {
        const float* plane = x + ((n0 + b) * a.c + g * p.cg + c) * p.hw;
        float* dst = col + row * ld + b * p.ohw;
        std::fill_n(dst, oh_lo * OW, 0.f);
        for (int64_t oh = oh_lo; oh < oh_hi; ++oh) {
          float* d = dst + oh * OW;
          const float* src = plane + (oh * a.stride_h - a.pad_h + r * a.dil_h) * a.w + iw0;
          std::fill_n(d, ow_lo, 0.f);
          if (a.stride_w == 1) {
            // Rows are short (often < 32 floats): an inline loop beats a memcpy call.
            for (int64_t q = 0; q < len; ++q) d[ow_lo + q] = src[q];
          } else {
            for (int64_t q = 0; q < len; ++q) d[ow_lo + q] = src[q * a.stride_w];
          }
          std::fill_n(d + ow_hi, OW - ow_hi, 0.f);
        }
        std::fill_n(dst + oh_hi * OW, (a.oh - oh_hi) * OW, 0.f);
      }
    }
  };
  if (parallel)
    parallel_for(p.crs, 4, rows);
  else
    rows(0, p.crs);
}

void col2im(const ConvPlan& p, const float* col, int64_t n0, int64_t nb, int64_t g, float* dx, bool parallel) {
  const Conv2dArgs& a = p.a;
  const int64_t rs = a.r * a.s, ld = nb * p.ohw, OW = a.ow;
  // All taps of one channel write the same plane, so a task owns whole channels.
  auto channels = [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c)
      for (int64_t b = 0; b < nb; ++b) {
        float* plane = dx + ((n0 + b) * a.c + g * p.cg + c) * p.hw;
        for (int64_t r = 0; r < a.r; ++r)
          for (int64_t s = 0; s < a.s; ++s) {
            int64_t oh_lo, oh_hi, ow_lo, ow_hi;
            conv_valid_range(a.h, a.oh, a.stride_h, a.pad_h, a.dil_h, r, &oh_lo, &oh_hi);
            conv_valid_range(a.w, a.ow, a.stride_w, a.pad_w, a.dil_w, s, &ow_lo, &ow_hi);
            int64_t iw0 = ow_lo * a.stride_w - a.pad_w + s * a.dil_w, len = ow_hi - ow_lo;
            const float* src = col + (c * rs + r * a.s + s) * ld + b * p.ohw;
            for (int64_t oh = oh_lo; oh < oh_hi; ++oh) {
              float* d = plane + (oh * a.stride_h - a.pad_h + r * a.dil_h) * a.w + iw0;
              const float* sr = src + oh * OW + ow_lo;
              if (a.stride_w == 1) {
                for (int64_t q = 0; q < len; ++q) d[q] += sr[q];
              } else {
                for (int64_t q = 0; q < len; ++q) d[q * a.stride_w] += sr[q];
              }
            }
          }
      }
  };
  if (parallel)
    parallel_for(p.cg, 1, channels);
  else
    channels(0, p.cg);
}

bool panels_apply(const Conv2dArgs& a) {
  return a.stride_h == 1 && a.stride_w == 1 && a.pad_h == 0 && a.pad_w == 0 && a.dil_h == 1 && a.dil_w == 1 &&
         a.groups == 1;
}

void conv_panels(const ConvPlan& p, const float* x, int64_t n0, int64_t q0, int64_t q1, bool ones_row, float* out) {
  const Conv2dArgs& a = p.a;
  const float* img = x + n0 * a.c * p.hw;
  constexpr int64_t W = kPanelWidth;
  const int64_t kdim = p.crs + (ones_row ? 1 : 0), j0 = q0 / W, j1 = (q1 + W - 1) / W;
  int64_t off[W];
  for (int64_t j = j0; j < j1; ++j) {
    int64_t valid = std::min(W, q1 - j * W);
    for (int64_t l = 0; l < valid; ++l) {
      int64_t q = j * W + l;
      off[l] = (q / a.ow) * a.w + q % a.ow;
    }
    float* o = out + (j - j0) * kdim * W;
    int64_t row = 0;
    for (int64_t c = 0; c < a.c; ++c)
      for (int64_t r = 0; r < a.r; ++r)
        for (int64_t s = 0; s < a.s; ++s, ++row) {
          const float* base = img + c * p.hw + r * a.w + s;
          float* d = o + row * W;
          for (int64_t l = 0; l < valid; ++l) d[l] = base[off[l]];
          for (int64_t l = valid; l < W; ++l) d[l] = 0.f;
        }
    if (ones_row)
      for (int64_t l = 0; l < W; ++l) o[p.crs * W + l] = l < valid ? 1.f : 0.f;
  }
}

std::vector<int32_t> wgrid_offsets(const ConvPlan& p) {
  const Conv2dArgs& a = p.a;
  std::vector<int32_t> off(static_cast<size_t>(a.oh * a.w));
  for (int64_t oh = 0; oh < a.oh; ++oh)
    for (int64_t w = 0; w < a.w; ++w) off[oh * a.w + w] = w < a.ow ? static_cast<int32_t>(oh * a.ow + w) : -1;
  return off;
}

void pack_dy_wgrid(const ConvPlan& p, const float* dy, int64_t n0, const int32_t* offsets, float* out) {
  const Conv2dArgs& a = p.a;
  constexpr int64_t W = kPanelWidth;
  const int64_t nw = a.oh * a.w, panels = (nw + W - 1) / W;
  const float* img = dy + n0 * a.k * p.ohw;
  for (int64_t j = 0; j < panels; ++j) {
    const int64_t valid = std::min(W, nw - j * W);
    const int32_t* off = offsets + j * W;
    float* o = out + j * a.k * W;
    for (int64_t k = 0; k < a.k; ++k, o += W) {
      const float* src = img + k * p.ohw;
      // Selects, not branches: the zero columns come every W lanes and would mispredict.
      for (int64_t l = 0; l < valid; ++l) {
        const int32_t at = off[l];
        const float v = src[at < 0 ? 0 : at];
        o[l] = at < 0 ? 0.f : v;
      }
      for (int64_t l = valid; l < W; ++l) o[l] = 0.f;
    }
  }
}

void col2im_wgrid(const ConvPlan& p, const float* col, int64_t n0, float* dx) {
  const Conv2dArgs& a = p.a;
  const int64_t nw = a.oh * a.w;
  float* img = dx + n0 * a.c * p.hw;
  std::fill_n(img, a.c * p.hw, 0.f);
  const float* src = col;
  for (int64_t c = 0; c < a.c; ++c) {
    float* plane = img + c * p.hw;
    for (int64_t r = 0; r < a.r; ++r)
      for (int64_t s = 0; s < a.s; ++s, src += nw) {
        // Grid columns past the plane's end are zero columns: the valid ones end at hw - 1.
        const int64_t start = r * a.w + s, len = std::min(nw, p.hw - start);
        float* d = plane + start;
        for (int64_t i = 0; i < len; ++i) d[i] += src[i];
      }
  }
}

double sum_f32(const float* x, int64_t n) {
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) lane[j] += x[i + j];
  double total = 0;
  for (int j = 0; j < 8; ++j) total += lane[j];
  for (; i < n; ++i) total += x[i];
  return total;
}

const float* weights_with_bias_column(const ConvPlan& p, const float* w, const float* bias,
                                      std::vector<float>& storage) {
  if (!bias) return w;
  const int64_t kdim = p.crs + 1;
  storage.resize(static_cast<size_t>(p.a.k * kdim));
  for (int64_t k = 0; k < p.a.k; ++k) {
    std::copy_n(w + k * p.crs, p.crs, storage.data() + k * kdim);
    storage[k * kdim + p.crs] = bias[k];
  }
  return storage.data();
}

}  // namespace nn::cpu
