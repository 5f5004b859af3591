// conv2d forward and its three gradients against direct double-precision loops, on shapes that
// reach each CPU strategy: the seed CNN's layers (3x3 stride 1: Winograd / row kernels / the
// 3x3 weight-gradient kernel on x86), one input channel, stride 2 with padding, dilation,
// groups, depthwise and 1x1.
#include <cmath>

#include "harness.h"

namespace ct {
namespace {

nn::Conv2dArgs conv(int64_t n, int64_t c, int64_t h, int64_t w, int64_t k, int64_t r, int64_t stride, int64_t pad,
                    int64_t dil, int64_t groups) {
  nn::Conv2dArgs a{};
  a.n = n;
  a.c = c;
  a.h = h;
  a.w = w;
  a.k = k;
  a.r = a.s = r;
  a.stride_h = a.stride_w = stride;
  a.pad_h = a.pad_w = pad;
  a.dil_h = a.dil_w = dil;
  a.groups = groups;
  a.oh = (h + 2 * pad - dil * (r - 1) - 1) / stride + 1;
  a.ow = (w + 2 * pad - dil * (r - 1) - 1) / stride + 1;
  return a;
}

// Calls fn(x index, w index, y index) for every term of the convolution sum.
template <typename F>
void for_terms(const nn::Conv2dArgs& a, const F& fn) {
  const int64_t cg = a.c / a.groups, kg = a.k / a.groups;
  for (int64_t n = 0; n < a.n; ++n)
    for (int64_t k = 0; k < a.k; ++k)
      for (int64_t oy = 0; oy < a.oh; ++oy)
        for (int64_t ox = 0; ox < a.ow; ++ox)
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t r = 0; r < a.r; ++r)
              for (int64_t s = 0; s < a.s; ++s) {
                const int64_t iy = oy * a.stride_h - a.pad_h + r * a.dil_h,
                              ix = ox * a.stride_w - a.pad_w + s * a.dil_w;
                if (iy < 0 || iy >= a.h || ix < 0 || ix >= a.w) continue;
                const int64_t ci = (k / kg) * cg + c;
                fn(((n * a.c + ci) * a.h + iy) * a.w + ix, ((k * cg + c) * a.r + r) * a.s + s,
                   ((n * a.k + k) * a.oh + oy) * a.ow + ox);
              }
}

void check_conv(Check& ck, const nn::Conv2dArgs& a, uint64_t seed) {
  const int64_t cg = a.c / a.groups;
  const size_t nx = a.n * a.c * a.h * a.w, nw = a.k * cg * a.r * a.s, ny = a.n * a.k * a.oh * a.ow;
  const auto x = uniform(nx, -1.f, 1.f, seed), w = uniform(nw, -1.f, 1.f, seed + 1),
             bias = uniform(a.k, -1.f, 1.f, seed + 2);
  const auto dy = uniform(ny, -1.f, 1.f, seed + 3);
  std::vector<double> y(ny), y_abs(ny), dx(nx), dx_abs(nx), dw(nw), dw_abs(nw), db(a.k), db_abs(a.k);
  std::vector<int64_t> y_terms(ny, 1), dx_terms(nx, 0), dw_terms(nw, 0);
  for (size_t i = 0; i < ny; ++i) {
    const int64_t k = (i / (a.oh * a.ow)) % a.k;
    y[i] = bias[k];
    y_abs[i] = std::fabs(bias[k]);
    db[k] += dy[i];
    db_abs[k] += std::fabs(dy[i]);
  }
  for_terms(a, [&](int64_t xi, int64_t wi, int64_t yi) {
    const double f = double(x[xi]) * w[wi], b = double(dy[yi]) * w[wi], g = double(dy[yi]) * x[xi];
    y[yi] += f;
    y_abs[yi] += std::fabs(f);
    ++y_terms[yi];
    dx[xi] += b;
    dx_abs[xi] += std::fabs(b);
    ++dx_terms[xi];
    dw[wi] += g;
    dw_abs[wi] += std::fabs(g);
    ++dw_terms[wi];
  });
  auto bounds = [](const std::vector<double>& abs, const std::vector<int64_t>& terms) {
    std::vector<double> b(abs.size());
    for (size_t i = 0; i < abs.size(); ++i) b[i] = dot_bound(terms[i], abs[i]);
    return b;
  };
  std::vector<float> gy(ny), gdx(nx), gdw(nw), gdb(a.k);
  B().conv2d_forward(a, x.data(), w.data(), bias.data(), gy.data());
  B().conv2d_backward_input(a, dy.data(), w.data(), gdx.data());
  B().conv2d_backward_weight(a, x.data(), dy.data(), gdw.data());
  B().conv2d_backward_bias(a, dy.data(), gdb.data());
  ck.close("y", gy, y, bounds(y_abs, y_terms));
  ck.close("dx", gdx, dx, bounds(dx_abs, dx_terms));
  ck.close("dw", gdw, dw, bounds(dw_abs, dw_terms));
  ck.close("db", gdb, db, bounds(db_abs, std::vector<int64_t>(a.k, a.n * a.oh * a.ow)));
}

void seed_cnn(Check& ck) {
  check_conv(ck, conv(4, 32, 13, 13, 64, 3, 1, 0, 1, 1), 1);  // conv2 of the seed CNN
  check_conv(ck, conv(3, 1, 28, 28, 32, 3, 1, 0, 1, 1), 2);   // conv1: one input channel
}

void padded_3x3(Check& ck) {
  check_conv(ck, conv(2, 16, 12, 10, 32, 3, 1, 1, 1, 1), 3);
  check_conv(ck, conv(2, 5, 9, 11, 7, 3, 1, 1, 1, 1), 4);
}

void strided(Check& ck) {
  check_conv(ck, conv(2, 6, 15, 14, 10, 3, 2, 1, 1, 1), 5);
  check_conv(ck, conv(1, 3, 20, 20, 8, 5, 2, 2, 1, 1), 6);
}

void dilated(Check& ck) { check_conv(ck, conv(2, 4, 13, 12, 6, 3, 1, 2, 2, 1), 7); }

void grouped(Check& ck) {
  check_conv(ck, conv(2, 8, 10, 9, 12, 3, 1, 1, 1, 4), 8);
  check_conv(ck, conv(2, 16, 11, 11, 16, 3, 1, 1, 1, 16), 9);  // depthwise
}

void pointwise(Check& ck) { check_conv(ck, conv(3, 24, 7, 9, 20, 1, 1, 0, 1, 1), 10); }

}  // namespace

// The case table (one line per case, as in every cases_*.cpp).
void add_conv_cases(std::vector<Case>& out) {
  out.push_back({"conv2d/seed-cnn", seed_cnn});
  out.push_back({"conv2d/padded-3x3", padded_3x3});
  out.push_back({"conv2d/strided", strided});
  out.push_back({"conv2d/dilated", dilated});
  out.push_back({"conv2d/grouped", grouped});
  out.push_back({"conv2d/1x1", pointwise});
}

}  // namespace ct
