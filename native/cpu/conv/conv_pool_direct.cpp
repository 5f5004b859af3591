// The CPU backend's kernel for a first convolution and its max pool (conv_pool_direct.h):
// planes of (image, group) spread over the threads, each de-interleaved once.
#include "conv_pool_direct.h"
#include "../../core/flags.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../../core/thread_pool.h"
#include "../../kernels/ops.h"
#include "../cpu_backend.h"
#include "../simd/simd.h"

namespace nn {
namespace cpu {

bool conv_pool_direct_apply(const Conv2dArgs& c, const Pool2dArgs& p) {
  const bool off = flags().no_conv_pool_kernel;
  return !off && use_avx2() && c.c == c.groups && c.r == 3 && c.s == 3 && c.stride_h == 1 && c.stride_w == 1 &&
         c.pad_h == 0 && c.pad_w == 0 && c.dil_h == 1 && c.dil_w == 1 && p.kh == 2 && p.kw == 2 && p.stride_h == 2 &&
         p.stride_w == 2 && p.pad_h == 0 && p.pad_w == 0;
}

// Room for a 16-lane load at any pooled column of a phase: ceil(w / 2) columns, then 16 more.
int64_t conv_pool_phase_len(const ConvPoolShape& s) { return ((s.w + 1) / 2 + 16 + 15) / 16 * 16; }

void conv_pool_deinterleave(const ConvPoolShape& s, const float* x, float* out) {
  const int64_t len = conv_pool_phase_len(s);
  for (int64_t r = 0; r < s.h; ++r) {
    float* even = out + 2 * r * len;
    float* odd = even + len;
    const float* row = x + r * s.w;
    std::fill_n(even, 2 * len, 0.f);
    // Column pairs, then the last even column of an odd width. The one-loop form that picked
    // `c % 2 ? odd : even` per element faulted on a wild address in GCC 12's -fsanitize=address
    // build (indices all in range), which kept the sanitizer run out of CI.
    int64_t c = 0;
    for (; c + 1 < s.w; c += 2) {
      even[c / 2] = row[c];
      odd[c / 2] = row[c + 1];
    }
    if (c < s.w) even[c / 2] = row[c];
  }
}

int64_t conv_pool_quadrant_len(const ConvPoolShape& s) { return (s.ph * s.pw + 15) / 16 * 16; }

void conv_pool_corners(const ConvPoolShape& s, int32_t* out) {
  for (int64_t py = 0; py < s.ph; ++py)
    for (int64_t px = 0; px < s.pw; ++px) out[py * s.pw + px] = static_cast<int32_t>(2 * py * s.ow + 2 * px);
}

}  // namespace cpu

#if NNLAB_X86_KERNELS
namespace {

cpu::ConvPoolShape shape_of(const Conv2dArgs& c, const Pool2dArgs& p) {
  return cpu::ConvPoolShape{c.h, c.w, c.oh, c.ow, p.oh, p.ow, c.k / c.groups};
}

// One de-interleaved plane per task, allocated before the parallel region (an allocation
// failure inside a task would end the process).
std::vector<std::vector<float>> plane_buffers(const cpu::ConvPoolShape& s, int64_t tasks) {
  const size_t floats = static_cast<size_t>(2 * s.h * cpu::conv_pool_phase_len(s));
  return std::vector<std::vector<float>>(static_cast<size_t>(tasks), std::vector<float>(floats));
}

}  // namespace
#endif

bool CpuBackend::conv2d_maxpool_forward(const Conv2dArgs& c, const Pool2dArgs& p, const float* x, const float* w,
                                        const float* bias, float* y, int32_t* idx, bool relu) {
#if NNLAB_X86_KERNELS
  if (!cpu::conv_pool_direct_apply(c, p)) return false;
  const cpu::ConvPoolShape s = shape_of(c, p);
  const int64_t planes = c.n * c.groups, tasks = std::min<int64_t>(num_threads(), planes);
  const int64_t hw = c.h * c.w, out = s.kg * s.ph * s.pw;
  if (cpu::use_avx512()) {
    // Buffers zeroed here, before the parallel region: the quadrant planes' tails stay zero.
    const int64_t qlen = cpu::conv_pool_quadrant_len(s);
    std::vector<std::vector<float>> quads(static_cast<size_t>(tasks),
                                          std::vector<float>(static_cast<size_t>(16 * qlen)));
    std::vector<int32_t> corners(idx ? static_cast<size_t>(qlen) : 0);
    if (idx) cpu::conv_pool_corners(s, corners.data());
    parallel_tasks(tasks, [&](int64_t t) {
      for (int64_t e = planes * t / tasks; e < planes * (t + 1) / tasks; ++e) {
        const int64_t g = e % c.groups;
        cpu::conv_pool_quadrants(s, x + e * hw, quads[t].data());
        cpu::conv_pool_forward_avx512(s, quads[t].data(), corners.data(), w + g * s.kg * 9,
                                      bias ? bias + g * s.kg : nullptr, y + e * out, idx ? idx + e * out : nullptr,
                                      relu);
      }
    });
    return true;
  }
  auto buf = plane_buffers(s, tasks);
  // Without indices (no gradient to come) each task's plane of them stays in its cache.
  std::vector<std::vector<int32_t>> scratch(idx ? 0 : static_cast<size_t>(tasks), std::vector<int32_t>(out));
  parallel_tasks(tasks, [&](int64_t t) {
    for (int64_t e = planes * t / tasks; e < planes * (t + 1) / tasks; ++e) {
      const int64_t g = e % c.groups;
      cpu::conv_pool_deinterleave(s, x + e * hw, buf[t].data());
      float* ye = y + e * out;
      cpu::conv_pool_forward_avx2(s, buf[t].data(), w + g * s.kg * 9, bias ? bias + g * s.kg : nullptr, ye,
                                  idx ? idx + e * out : scratch[t].data());
      if (relu)  // while the plane is in cache: the separate relu op's values
        for (int64_t i = 0; i < out; ++i) ye[i] = unary_forward(UnaryOp::Relu, ye[i], 0.f, 0.f);
    }
  });
  return true;
#else
  return false;  // no fused kernel on this processor: the caller runs conv2d, then maxpool2d
#endif
}

bool CpuBackend::conv2d_maxpool_backward_params(const Conv2dArgs& c, const Pool2dArgs& p, const float* dy,
                                                const float* relu_y, const int32_t* idx, const float* x, float* dw,
                                                float* db) {
#if NNLAB_X86_KERNELS
  if (!cpu::conv_pool_direct_apply(c, p)) return false;
  const cpu::ConvPoolShape s = shape_of(c, p);
  const auto kernel = cpu::use_avx512() ? cpu::conv_pool_backward_avx512 : cpu::conv_pool_backward_avx2;
  const int64_t planes = c.n * c.groups, tasks = std::min<int64_t>(num_threads(), planes);
  const int64_t hw = c.h * c.w, out = s.kg * s.ph * s.pw, lanes = 10 * 16;
  // Per task: the lane sums of every output channel's 9 weight gradients and bias gradient.
  std::vector<std::vector<float>> acc(static_cast<size_t>(tasks),
                                      std::vector<float>(static_cast<size_t>(c.k * lanes), 0.f));
  auto buf = plane_buffers(s, tasks);
  std::vector<char> placed(static_cast<size_t>(tasks), 1);
  parallel_tasks(tasks, [&](int64_t t) {
    for (int64_t e = planes * t / tasks; e < planes * (t + 1) / tasks && placed[t]; ++e) {
      const int64_t g = e % c.groups;
      cpu::conv_pool_deinterleave(s, x + e * hw, buf[t].data());
      placed[t] = kernel(s, buf[t].data(), dy + e * out, relu_y ? relu_y + e * out : nullptr, idx + e * out,
                         acc[t].data() + g * s.kg * lanes);
    }
  });
  for (char ok : placed)
    if (!ok) return false;
  // Tasks in order, then lanes in order: the same sums for a given thread count.
  for (int64_t k = 0; k < c.k; ++k)
    for (int64_t e = 0; e < 10; ++e) {
      float sum = 0.f;
      for (const auto& a : acc)
        for (int64_t l = 0; l < 16; ++l) sum += a[k * lanes + e * 16 + l];
      if (e < 9)
        dw[k * 9 + e] = sum;
      else if (db)
        db[k] = sum;
    }
  return true;
#else
  return false;
#endif
}

}  // namespace nn
