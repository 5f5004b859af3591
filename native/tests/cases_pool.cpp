// Max and average pooling against direct loops: the 2x2 stride-2 pool (its own SIMD kernels on
// x86, odd sizes leave a row and a column out), overlapping 3x3 stride-2 windows with padding.
// Inputs are distinct random values, so the maximum of a window and its index are unique.
#include <cmath>
#include <limits>

#include "harness.h"

namespace ct {
namespace {

nn::Pool2dArgs pool(int64_t n, int64_t c, int64_t h, int64_t w, int64_t k, int64_t stride, int64_t pad) {
  nn::Pool2dArgs a{};
  a.n = n;
  a.c = c;
  a.h = h;
  a.w = w;
  a.kh = a.kw = k;
  a.stride_h = a.stride_w = stride;
  a.pad_h = a.pad_w = pad;
  a.oh = (h + 2 * pad - k) / stride + 1;
  a.ow = (w + 2 * pad - k) / stride + 1;
  a.count_include_pad = true;
  return a;
}

void check_pool(Check& ck, const nn::Pool2dArgs& a, uint64_t seed) {
  const int64_t planes = a.n * a.c, hw = a.h * a.w, ohw = a.oh * a.ow;
  const auto x = uniform(planes * hw, -1.f, 1.f, seed), dy = uniform(planes * ohw, -1.f, 1.f, seed + 1);
  std::vector<double> ymax(planes * ohw), yavg(planes * ohw), dxmax(planes * hw, 0.0), dxavg(planes * hw, 0.0);
  std::vector<int32_t> idx(planes * ohw);
  for (int64_t pl = 0; pl < planes; ++pl)
    for (int64_t oy = 0; oy < a.oh; ++oy)
      for (int64_t ox = 0; ox < a.ow; ++ox) {
        const int64_t o = pl * ohw + oy * a.ow + ox;
        double best = -std::numeric_limits<double>::infinity(), sum = 0;
        int32_t at = -1;
        for (int64_t r = 0; r < a.kh; ++r)
          for (int64_t s = 0; s < a.kw; ++s) {
            const int64_t iy = oy * a.stride_h - a.pad_h + r, ix = ox * a.stride_w - a.pad_w + s;
            if (iy < 0 || iy >= a.h || ix < 0 || ix >= a.w) continue;
            const double v = x[pl * hw + iy * a.w + ix];
            sum += v;
            if (v > best) best = v, at = static_cast<int32_t>(iy * a.w + ix);
          }
        ymax[o] = best;
        idx[o] = at;
        yavg[o] = sum / static_cast<double>(a.kh * a.kw);
        dxmax[pl * hw + at] += dy[o];
        for (int64_t r = 0; r < a.kh; ++r)
          for (int64_t s = 0; s < a.kw; ++s) {
            const int64_t iy = oy * a.stride_h - a.pad_h + r, ix = ox * a.stride_w - a.pad_w + s;
            if (iy >= 0 && iy < a.h && ix >= 0 && ix < a.w)
              dxavg[pl * hw + iy * a.w + ix] += dy[o] / static_cast<double>(a.kh * a.kw);
          }
      }
  std::vector<float> gy(planes * ohw), ga(planes * ohw), gdx(planes * hw), gda(planes * hw);
  std::vector<int32_t> gidx(planes * ohw);
  B().maxpool2d_forward(a, x.data(), gy.data(), gidx.data());
  B().maxpool2d_backward(a, dy.data(), gidx.data(), gdx.data());
  B().avgpool2d_forward(a, x.data(), ga.data());
  B().avgpool2d_backward(a, dy.data(), gda.data());
  ck.near("max y", gy, ymax, 0, 0);  // a maximum is one of the inputs: exact
  ck.equal("max indices", gidx, idx);
  ck.near("max dx", gdx, dxmax, 1e-6, 1e-7);  // overlapping windows add up to a few dy values
  ck.near("avg y", ga, yavg, 1e-5, 1e-6);
  ck.near("avg dx", gda, dxavg, 1e-5, 1e-6);
}

void pool_2x2(Check& ck) {
  check_pool(ck, pool(2, 3, 26, 26, 2, 2, 0), 1);
  check_pool(ck, pool(2, 5, 11, 37, 2, 2, 0), 2);  // odd: the last row and column are dropped
}

void pool_3x3(Check& ck) {
  check_pool(ck, pool(2, 3, 15, 14, 3, 2, 1), 3);
  check_pool(ck, pool(1, 4, 9, 9, 3, 1, 1), 4);
}

}  // namespace

void add_pool_cases(std::vector<Case>& out) {
  out.push_back({"pool/2x2-stride2", pool_2x2});
  out.push_back({"pool/3x3-padded", pool_3x3});
}

}  // namespace ct
