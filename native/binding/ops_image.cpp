// Image transforms on NCHW float32 batches: perspective/affine warps, rotations, bilinear
// resize and brightness/contrast-style affine intensity maps.
#include <cmath>
#include <vector>

#include "args.h"
#include "js_functions.h"
#include "errors.h"

namespace nn::binding {
namespace js_image {

constexpr int64_t kMaxSide = int64_t(1) << 16;

const Tensor& images(const Args& a, size_t i) {
  const Tensor& x = a.tensor(i, "x", DType::F32);
  if (x.dim() != 4)
    fail(ErrorCode::Shape, a.op, ": 'x' must be an NCHW batch [N, C, H, W], got shape ", shape_str(x.shape));
  return x;
}

float finite_number(const Args& a, size_t i, const char* name) {
  double v = a.number(i, name);
  if (!std::isfinite(static_cast<float>(v)))
    fail(ErrorCode::Argument, a.op, ": '", name, "' must be a finite float32 number, got ", v);
  return static_cast<float>(v);
}

// Rejects non-finite and singular 3x3 matrices (row-major, 9 per image). "Singular" is scale
// free: |det| against the product of the column norms (Hadamard's bound), so large
// translations or zooms stay valid while rank-deficient maps are caught.
void check_matrices(const Args& a, const char* name, const std::vector<float>& m, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float* q = m.data() + 9 * i;
    for (int k = 0; k < 9; ++k)
      if (!std::isfinite(q[k]))
        fail(ErrorCode::Value, a.op, ": ", name, "[", i, "] has a non-finite entry (", q[k], ")");
    double e[9];
    for (int k = 0; k < 9; ++k) e[k] = q[k];
    double det =
        e[0] * (e[4] * e[8] - e[5] * e[7]) - e[1] * (e[3] * e[8] - e[5] * e[6]) + e[2] * (e[3] * e[7] - e[4] * e[6]);
    double bound = 1;
    for (int c = 0; c < 3; ++c) bound *= std::sqrt(e[c] * e[c] + e[3 + c] * e[3 + c] + e[6 + c] * e[6 + c]);
    if (!(std::fabs(det) > 1e-7 * bound))
      fail(ErrorCode::Value, a.op, ": ", name, "[", i, "] is singular (determinant ", det,
           "); the transform must be invertible");
  }
}

std::vector<float> to_host(const Tensor& t) {
  std::vector<float> h(static_cast<size_t>(t.numel()));
  if (!h.empty()) t.backend().copy_to_host(h.data(), t.storage->data, t.nbytes());
  return h;
}

Tensor from_host(Backend& b, const std::vector<float>& h, const Shape& shape) {
  Tensor t = empty(b, shape, DType::F32);
  if (!h.empty()) b.copy_from_host(t.storage->data, h.data(), t.nbytes());
  return t;
}

Tensor warp(const Tensor& x, const Tensor& matrices, int64_t oh, int64_t ow, float fill) {
  WarpArgs w{x.shape[0], x.shape[1], x.shape[2], x.shape[3], oh, ow, fill};
  Tensor y = empty(x.backend(), {w.n, w.c, oh, ow}, DType::F32);
  x.backend().warp_perspective(w, x.f32(), matrices.f32(), y.f32());
  return y;
}

// The arguments warpPerspective and affine share: images, [N, rows, 3] matrices on their device,
// the output size and the fill value.
struct WarpCall {
  const Tensor& x;
  const Tensor& m;
  int64_t oh, ow;
  float fill;
};
WarpCall warp_call(const Args& a, int64_t rows) {
  const Tensor& x = images(a, 0);
  const Tensor& m = a.tensor(1, "matrices", DType::F32);
  require_shape(a.op, "matrices", m, {x.shape[0], rows, 3});
  require_same_device(a.op, {&x, &m});
  int64_t oh = a.integer(2, "outH", 1, kMaxSide), ow = a.integer(3, "outW", 1, kMaxSide);
  return {x, m, oh, ow, finite_number(a, 4, "fill")};
}

// warpPerspective(x [N,C,H,W], matrices [N,3,3], outH, outW, fill) -> [N,C,outH,outW]
Napi::Value warp_perspective(const Napi::CallbackInfo& info) {
  Args a{info, "warpPerspective"};
  WarpCall w = warp_call(a, 3);
  check_matrices(a, "matrices", to_host(w.m), w.x.shape[0]);
  return wrap(a.env(), warp(w.x, w.m, w.oh, w.ow, w.fill));
}

// affine(x [N,C,H,W], matrices [N,2,3], outH, outW, fill): the 2x3 matrix maps output pixel
// (x, y, 1) to source coordinates, like warpPerspective with last row (0, 0, 1).
Napi::Value affine(const Napi::CallbackInfo& info) {
  Args a{info, "affine"};
  WarpCall w = warp_call(a, 2);
  const Tensor& x = w.x;
  std::vector<float> h6 = to_host(w.m), h9(static_cast<size_t>(9 * x.shape[0]));
  for (int64_t i = 0; i < x.shape[0]; ++i) {
    for (int k = 0; k < 6; ++k) h9[9 * i + k] = h6[6 * i + k];
    h9[9 * i + 6] = 0.f;
    h9[9 * i + 7] = 0.f;
    h9[9 * i + 8] = 1.f;
  }
  check_matrices(a, "matrices", h9, x.shape[0]);
  Tensor m9 = from_host(x.backend(), h9, {x.shape[0], 3, 3});
  return wrap(a.env(), warp(x, m9, w.oh, w.ow, w.fill));
}

// cos and sin of an angle in degrees, exact at multiples of 90 so quarter turns are exact
// permutations of the pixels.
void cos_sin_deg(double deg, double& c, double& s) {
  double r = std::fmod(deg, 360.0);
  if (r < 0) r += 360.0;
  if (r == 0) {
    c = 1;
    s = 0;
  } else if (r == 90) {
    c = 0;
    s = 1;
  } else if (r == 180) {
    c = -1;
    s = 0;
  } else if (r == 270) {
    c = 0;
    s = -1;
  } else {
    double t = deg * (M_PI / 180.0);
    c = std::cos(t);
    s = std::sin(t);
  }
}

// rotate(x [N,C,H,W], anglesDeg float32 [N] | number, fill): rotation about the image centre
// ((W-1)/2, (H-1)/2); positive angles turn the content counter-clockwise on screen (y down), as
// torchvision's rotate. The output keeps the input size.
Napi::Value rotate(const Napi::CallbackInfo& info) {
  Args a{info, "rotate"};
  const Tensor& x = images(a, 0);
  int64_t n = x.shape[0];
  std::vector<float> deg;
  if (a.has(1) && a.info[1].IsNumber()) {
    deg.assign(static_cast<size_t>(n), static_cast<float>(a.number(1, "angles")));
    if (!std::isfinite(a.number(1, "angles")))
      fail(ErrorCode::Value, a.op, ": 'angles' must be finite, got ", a.number(1, "angles"));
  } else {
    const Tensor& t = a.tensor(1, "angles", DType::F32);
    require_shape(a.op, "angles", t, {n});
    require_same_device(a.op, {&x, &t});
    deg = to_host(t);
  }
  float fill = finite_number(a, 2, "fill");
  double cx = (static_cast<double>(x.shape[3]) - 1) / 2, cy = (static_cast<double>(x.shape[2]) - 1) / 2;
  std::vector<float> m(static_cast<size_t>(9 * n));
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(deg[i])) fail(ErrorCode::Value, a.op, ": angles[", i, "] is not finite (", deg[i], ")");
    double c, s;
    cos_sin_deg(deg[i], c, s);
    // Output -> source is the inverse rotation: p = R^T (q - centre) + centre.
    double e[9] = {c, -s, cx - c * cx + s * cy, s, c, cy - s * cx - c * cy, 0, 0, 1};
    for (int k = 0; k < 9; ++k) m[9 * i + k] = static_cast<float>(e[k]);
  }
  Tensor m9 = from_host(x.backend(), m, {n, 3, 3});
  return wrap(a.env(), warp(x, m9, x.shape[2], x.shape[3], fill));
}

// resizeBilinear(x [N,C,H,W], outH, outW): torch's interpolate(mode='bilinear',
// align_corners=False) given an output size.
Napi::Value resize_bilinear(const Napi::CallbackInfo& info) {
  Args a{info, "resizeBilinear"};
  const Tensor& x = images(a, 0);
  int64_t oh = a.integer(1, "outH", 1, kMaxSide), ow = a.integer(2, "outW", 1, kMaxSide);
  if (x.shape[2] == 0 || x.shape[3] == 0)
    fail(ErrorCode::Shape, a.op, ": cannot resize an empty image, 'x' has shape ", shape_str(x.shape));
  WarpArgs w{x.shape[0], x.shape[1], x.shape[2], x.shape[3], oh, ow, 0.f};
  Tensor y = empty(x.backend(), {w.n, w.c, oh, ow}, DType::F32);
  x.backend().resize_bilinear(w, x.f32(), y.f32());
  return wrap(a.env(), std::move(y));
}

// A per-image scalar given as a number or a float32 [N] tensor, as a tensor on x's device.
Tensor per_image(const Args& a, size_t i, const char* name, const Tensor& x) {
  int64_t n = x.shape[0];
  if (a.has(i) && a.info[i].IsNumber()) {
    float v = finite_number(a, i, name);
    Tensor t = empty(x.backend(), {n}, DType::F32);
    x.backend().fill_f32(t.f32(), n, v);
    return t;
  }
  const Tensor& t = a.tensor(i, name, DType::F32);
  require_shape(a.op, name, t, {n});
  require_same_device(a.op, {&x, &t});
  return t;
}

// brightness(x [N, ...], factor [N] | number, shift [N] | number, lo, hi):
// y = clamp(x * factor + shift, lo, hi) per image.
Napi::Value brightness(const Napi::CallbackInfo& info) {
  Args a{info, "brightness"};
  const Tensor& x = a.tensor(0, "x", DType::F32);
  if (x.dim() < 1)
    fail(ErrorCode::Shape, a.op, ": 'x' must have a leading batch dimension, got shape ", shape_str(x.shape));
  Tensor factor = per_image(a, 1, "factor", x);
  Tensor shift = per_image(a, 2, "shift", x);
  double lo = a.number(3, "lo"), hi = a.number(4, "hi");
  if (std::isnan(lo) || std::isnan(hi) || lo > hi)
    fail(ErrorCode::Argument, a.op, ": needs lo <= hi (infinities allowed), got lo ", lo, " and hi ", hi);
  Tensor y = empty_like(x);
  int64_t n = x.shape[0];
  x.backend().brightness(x.f32(), factor.f32(), shift.f32(), y.f32(), n, n ? x.numel() / n : 0, static_cast<float>(lo),
                         static_cast<float>(hi));
  return wrap(a.env(), std::move(y));
}

}  // namespace js_image

}  // namespace nn::binding
