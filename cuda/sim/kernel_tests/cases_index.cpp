// Index ops (index-select/add, gather/scatter-add with duplicate indices, one-hot), the fused
// SGD and Adam steps over several parameter tensors, and the image transforms.
#include <cmath>
#include <string>

#include "harness.h"

namespace kt {
namespace {

struct IndexShape {
  const char* name;
  int64_t outer, dim, inner, nidx;
};
// nidx > dim: indices repeat, so the accumulating ops add several terms into one element.
const IndexShape kIndexShapes[] = {{"3x7x5_n9", 3, 7, 5, 9}, {"4x6x1_n11", 4, 6, 1, 11}};

// Parameter tensors of a fused optimizer step: odd sizes, one of them empty, more elements in
// all than the simulated grid has threads (tensors straddle blocks and grid-stride passes).
const int64_t kParamSizes[] = {37, 0, 2301, 5};
constexpr int kSlots = 4;

struct OptimState {
  std::vector<float*> p, g, m, v;
};

// Runs step(slots) on fresh copies of the same parameters, gradients and state, and returns
// the updated parameters and state buffers.
template <typename Step>
Outputs optim_run(Backend& b, bool with_state, bool with_second, Step step) {
  Mem m(b);
  std::vector<nn::ParamSlot> slots;
  std::vector<std::pair<std::string, std::pair<float*, int64_t>>> outs;
  for (int s = 0; s < kSlots; ++s) {
    const int64_t n = kParamSizes[s];
    nn::ParamSlot sl{};
    sl.param = m.in(uniform(n, -1.f, 1.f, 200 + s));
    sl.grad = m.in(uniform(n, -0.5f, 0.5f, 210 + s));
    sl.buf1 = with_state ? m.in(uniform(n, -0.1f, 0.1f, 220 + s)) : nullptr;
    sl.buf2 = with_second ? m.in(uniform(n, 0.f, 0.01f, 230 + s)) : nullptr;
    sl.n = n;
    slots.push_back(sl);
    outs.push_back({"param" + std::to_string(s), {sl.param, n}});
    if (with_state) outs.push_back({"buf1_" + std::to_string(s), {sl.buf1, n}});
    if (with_second) outs.push_back({"buf2_" + std::to_string(s), {sl.buf2, n}});
  }
  step(b, slots.data(), static_cast<int64_t>(slots.size()));
  Outputs o;
  for (auto& [name, pn] : outs) o.add(name, m.get(pn.first, pn.second));
  return o;
}

struct SgdSpec {
  const char* name;
  nn::SgdArgs a;
};
const SgdSpec kSgd[] = {
    {"plain", {0.1f, 0.f, 0.f, 0.f, false, false}},
    {"momentum_first_step_wd", {0.05f, 0.9f, 0.f, 1e-2f, false, true}},
    {"momentum_dampening", {0.05f, 0.9f, 0.1f, 0.f, false, false}},
    {"nesterov_wd", {0.05f, 0.9f, 0.f, 5e-3f, true, false}},
};

struct AdamSpec {
  const char* name;
  nn::AdamArgs a;
};
const AdamSpec kAdam[] = {
    {"adam_step1", {1e-3f, 0.9f, 0.999f, 1e-8f, 0.f, false, 1}},
    {"adam_wd_step7", {1e-2f, 0.8f, 0.99f, 1e-6f, 1e-2f, false, 7}},
    {"adamw_step3", {1e-2f, 0.9f, 0.999f, 1e-8f, 5e-2f, true, 3}},
};

nn::WarpArgs warp_args(int64_t n, int64_t c, int64_t h, int64_t w, int64_t oh, int64_t ow, float fill) {
  nn::WarpArgs a;
  a.n = n, a.c = c, a.h = h, a.w = w, a.oh = oh, a.ow = ow, a.fill = fill;
  return a;
}

}  // namespace

void add_index_cases(std::vector<Case>& out) {
  for (const IndexShape& s : kIndexShapes) {
    const int64_t nx = s.outer * s.dim * s.inner, ny = s.outer * s.nidx * s.inner;
    out.push_back({std::string("index_select/") + s.name, kExact, [s, ny](Backend& b) {
                     Mem m(b);
                     const float* x = m.in(uniform(s.outer * s.dim * s.inner, -1.f, 1.f, 130));
                     const int32_t* idx = m.in(ints(s.nidx, 0, static_cast<int32_t>(s.dim), 131));
                     float* y = m.out<float>(ny);
                     b.index_select(x, idx, y, s.outer, s.dim, s.inner, s.nidx);
                     Outputs o;
                     o.add("out", m.get(y, ny));
                     return o;
                   }});
    out.push_back({std::string("index_add/") + s.name, kAccumulate, [s, nx, ny](Backend& b) {
                     Mem m(b);
                     const float* dout = m.in(uniform(ny, -1.f, 1.f, 132));
                     const int32_t* idx = m.in(ints(s.nidx, 0, static_cast<int32_t>(s.dim), 131));
                     float* dx = m.in(uniform(nx, -1.f, 1.f, 133));  // accumulated into
                     b.index_add(dout, idx, dx, s.outer, s.dim, s.inner, s.nidx);
                     Outputs o;
                     o.add("dx", m.get(dx, nx));
                     return o;
                   }});
    out.push_back({std::string("gather/") + s.name, kExact, [s, nx, ny](Backend& b) {
                     Mem m(b);
                     const float* x = m.in(uniform(nx, -1.f, 1.f, 134));
                     const int32_t* idx = m.in(ints(ny, 0, static_cast<int32_t>(s.dim), 135));
                     float* y = m.out<float>(ny);
                     b.gather(x, idx, y, s.outer, s.dim, s.inner, s.nidx);
                     Outputs o;
                     o.add("out", m.get(y, ny));
                     return o;
                   }});
    out.push_back({std::string("scatter_add/") + s.name, kAccumulate, [s, nx, ny](Backend& b) {
                     Mem m(b);
                     const float* dout = m.in(uniform(ny, -1.f, 1.f, 136));
                     const int32_t* idx = m.in(ints(ny, 0, static_cast<int32_t>(s.dim), 135));
                     float* dx = m.in(uniform(nx, -1.f, 1.f, 137));
                     b.scatter_add(dout, idx, dx, s.outer, s.dim, s.inner, s.nidx);
                     Outputs o;
                     o.add("dx", m.get(dx, nx));
                     return o;
                   }});
  }
  out.push_back({"one_hot/13x11", kExact, [](Backend& b) {
                   const int64_t n = 13, classes = 11;
                   Mem m(b);
                   const int32_t* labels = m.in(ints(n, 0, classes, 140));
                   float* y = m.out<float>(n * classes);
                   b.one_hot(labels, y, n, classes);
                   Outputs o;
                   o.add("out", m.get(y, n * classes));
                   return o;
                 }});

  for (const SgdSpec& s : kSgd)
    out.push_back({std::string("sgd_step/") + s.name, kElementwise, [s](Backend& b) {
                     return optim_run(b, s.a.momentum != 0.f, false,
                                      [&](Backend& be, nn::ParamSlot* sl, int64_t n) { be.sgd_step(s.a, sl, n); });
                   }});
  for (const AdamSpec& s : kAdam)
    out.push_back({std::string("adam_step/") + s.name, kElementwise, [s](Backend& b) {
                     return optim_run(b, true, true,
                                      [&](Backend& be, nn::ParamSlot* sl, int64_t n) { be.adam_step(s.a, sl, n); });
                   }});
  // The weight average: slot.param is the average, slot.grad the live weight.
  out.push_back({"ema_update/decay_0.998", kElementwise, [](Backend& b) {
                   return optim_run(b, false, false, [](Backend& be, nn::ParamSlot* sl, int64_t n) {
                     be.ema_update(0.998f, static_cast<float>(1.0 - 0.998), sl, n);
                   });
                 }});

  // Image 0: rotation by 20 degrees, scale 1.1 and a shift; image 1: a perspective warp. Both
  // send some output pixels outside the source (they read the fill value).
  out.push_back({"image/warp_perspective", kElementwise, [](Backend& b) {
                   nn::WarpArgs a = warp_args(2, 3, 9, 11, 7, 8, -1.f);
                   const float c = 1.1f * std::cos(0.349f), s = 1.1f * std::sin(0.349f);
                   std::vector<float> mats = {c,    -s,   1.5f, s,      c,    -0.75f, 0.f,   0.f,    1.f,
                                              0.9f, 0.1f, 0.5f, -0.05f, 1.2f, 0.3f,   0.02f, -0.03f, 1.f};
                   const int64_t nx = a.n * a.c * a.h * a.w, ny = a.n * a.c * a.oh * a.ow;
                   Mem m(b);
                   const float* x = m.in(uniform(nx, 0.f, 1.f, 150));
                   const float* mt = m.in(mats);
                   float* y = m.out<float>(ny);
                   b.warp_perspective(a, x, mt, y);
                   Outputs o;
                   o.add("y", m.get(y, ny));
                   return o;
                 }});
  const struct {
    const char* name;
    nn::WarpArgs a;
  } resizes[] = {{"down_9x11_to_5x4", warp_args(2, 3, 9, 11, 5, 4, 0.f)},
                 {"up_5x4_to_9x11", warp_args(1, 2, 5, 4, 9, 11, 0.f)}};
  for (auto& r : resizes)
    out.push_back({std::string("image/resize_bilinear_") + r.name, kElementwise, [a = r.a](Backend& b) {
                     const int64_t nx = a.n * a.c * a.h * a.w, ny = a.n * a.c * a.oh * a.ow;
                     Mem m(b);
                     const float* x = m.in(uniform(nx, 0.f, 1.f, 151));
                     float* y = m.out<float>(ny);
                     b.resize_bilinear(a, x, y);
                     Outputs o;
                     o.add("y", m.get(y, ny));
                     return o;
                   }});
  out.push_back({"image/brightness", kElementwise, [](Backend& b) {
                   const int64_t n = 3, per = 2 * 5 * 7;
                   Mem m(b);
                   const float* x = m.in(uniform(n * per, 0.f, 1.f, 152));
                   const float* factor = m.in(uniform(n, 0.5f, 1.8f, 153));
                   const float* shift = m.in(uniform(n, -0.2f, 0.2f, 154));
                   float* y = m.out<float>(n * per);
                   b.brightness(x, factor, shift, y, n, per, 0.f, 1.f);
                   Outputs o;
                   o.add("y", m.get(y, n * per));
                   return o;
                 }});
}

}  // namespace kt
