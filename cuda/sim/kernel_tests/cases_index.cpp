// Runners of the index ops (index-select/add, gather/scatter-add with duplicate indices,
// one-hot), the fused SGD and Adam steps and the weight average over several parameter tensors,
// and the image transforms.
#include <cmath>
#include <string>

#include "harness.h"

namespace kt {
namespace {

// x [outer, dim, inner] and nidx indices into dim; out [outer, nidx, inner]. gather takes an
// index per output element, index_select one per output row.
struct Indexed {
  int64_t outer, dim, inner, nidx, nx, ny;
  Mem m;
  Indexed(Backend& b, const Entry& e)
      : outer(e.dim("x", 0)), dim(e.dim("x", 1)), inner(e.dim("x", 2)), nidx(e.i("nidx")), m(b) {
    nx = outer * dim * inner, ny = outer * nidx * inner;
  }
  const int32_t* rows() { return m.in(ints(nidx, 0, static_cast<int32_t>(dim), 131)); }
  const int32_t* elements() { return m.in(ints(ny, 0, static_cast<int32_t>(dim), 135)); }
  const float* x() { return m.in(uniform(nx, -1.f, 1.f, 130)); }
  const float* dout() { return m.in(uniform(ny, -1.f, 1.f, 132)); }
  float* accumulator() { return m.in(uniform(nx, -1.f, 1.f, 133)); }
};

// An index op from x to a fresh out (index_select, gather), or accumulating dout into a copy of
// x (index_add, scatter_add); `per_element` takes an index per output element (gather,
// scatter_add), else one per output row.
template <typename Op>
Runner index_runner(bool per_element, bool accumulate, Op op) {
  return [=](Backend& b, const Entry& e) {
    Indexed t(b, e);
    const float* src = accumulate ? t.dout() : t.x();
    const int32_t* idx = per_element ? t.elements() : t.rows();
    float* dst = accumulate ? t.accumulator() : t.m.out<float>(t.ny);
    op(b, t, src, idx, dst);
    return Outputs::of(accumulate ? "dx" : "out", t.m.get(dst, accumulate ? t.nx : t.ny));
  };
}

// Runs step(slots) on fresh copies of the same parameters, gradients and state (buf1 with
// `with_state`, buf2 with `with_second`), one slot per entry of shapes.params, and returns the
// updated parameters and state buffers.
template <typename Step>
Outputs optim_run(Backend& b, const Entry& e, bool with_state, bool with_second, Step step) {
  Mem m(b);
  std::vector<nn::ParamSlot> slots;
  std::vector<std::pair<std::string, std::pair<float*, int64_t>>> outs;
  const std::vector<int64_t> sizes = e.shape("params");
  for (size_t s = 0; s < sizes.size(); ++s) {
    const int64_t n = sizes[s];
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

// Images x [N, C, H, W] resampled to out [OH, OW].
nn::WarpArgs warp_args(const Entry& e) {
  const std::vector<int64_t> x = e.shape("x"), out = e.list("out");
  nn::WarpArgs a;
  a.n = x[0], a.c = x[1], a.h = x[2], a.w = x[3], a.oh = out[0], a.ow = out[1];
  a.fill = e.params.has("fill") ? e.f("fill") : 0.f;
  return a;
}

}  // namespace

void add_index_runners(Runners& r) {
  using I = const Indexed&;
  r["index_select"] = index_runner(false, false, [](Backend& b, I t, const float* x, const int32_t* i, float* y) {
    b.index_select(x, i, y, t.outer, t.dim, t.inner, t.nidx);
  });
  r["index_add"] = index_runner(false, true, [](Backend& b, I t, const float* dout, const int32_t* i, float* dx) {
    b.index_add(dout, i, dx, t.outer, t.dim, t.inner, t.nidx);
  });
  r["gather"] = index_runner(true, false, [](Backend& b, I t, const float* x, const int32_t* i, float* y) {
    b.gather(x, i, y, t.outer, t.dim, t.inner, t.nidx);
  });
  r["scatter_add"] = index_runner(true, true, [](Backend& b, I t, const float* dout, const int32_t* i, float* dx) {
    b.scatter_add(dout, i, dx, t.outer, t.dim, t.inner, t.nidx);
  });
  r["one_hot"] = [](Backend& b, const Entry& e) {
    const int64_t n = e.numel("labels"), classes = e.i("classes");
    Mem m(b);
    const int32_t* labels = m.in(ints(n, 0, static_cast<int32_t>(classes), 140));
    float* y = m.out<float>(n * classes);
    b.one_hot(labels, y, n, classes);
    return Outputs::of("out", m.get(y, n * classes));
  };

  r["sgd_step"] = [](Backend& b, const Entry& e) {
    const nn::SgdArgs a{e.f("lr"),           e.f("momentum"),    e.f("dampening"),
                        e.f("weight_decay"), e.flag("nesterov"), e.flag("first_step")};
    return optim_run(b, e, a.momentum != 0.f, false,
                     [&](Backend& be, nn::ParamSlot* sl, int64_t n) { be.sgd_step(a, sl, n); });
  };
  r["adam_step"] = [](Backend& b, const Entry& e) {
    const nn::AdamArgs a{e.f("lr"),           e.f("beta1"),        e.f("beta2"), e.f("eps"),
                         e.f("weight_decay"), e.flag("decoupled"), e.i("step")};
    return optim_run(b, e, true, true, [&](Backend& be, nn::ParamSlot* sl, int64_t n) { be.adam_step(a, sl, n); });
  };
  r["ema_update"] = [](Backend& b, const Entry& e) {
    const double decay = e.num("decay");
    return optim_run(b, e, false, false, [&](Backend& be, nn::ParamSlot* sl, int64_t n) {
      be.ema_update(static_cast<float>(decay), static_cast<float>(1.0 - decay), sl, n);
    });
  };

  // Image 0: rotation by 20 degrees, scale 1.1 and a shift; image 1 (and on): a perspective
  // warp. Both send some output pixels outside the source (they read the fill value).
  r["warp_perspective"] = [](Backend& b, const Entry& e) {
    const nn::WarpArgs a = warp_args(e);
    const float c = 1.1f * std::cos(0.349f), s = 1.1f * std::sin(0.349f);
    const std::vector<float> rotate = {c, -s, 1.5f, s, c, -0.75f, 0.f, 0.f, 1.f};
    const std::vector<float> perspective = {0.9f, 0.1f, 0.5f, -0.05f, 1.2f, 0.3f, 0.02f, -0.03f, 1.f};
    std::vector<float> mats = rotate;
    for (int64_t i = 1; i < a.n; ++i) mats.insert(mats.end(), perspective.begin(), perspective.end());
    const int64_t nx = a.n * a.c * a.h * a.w, ny = a.n * a.c * a.oh * a.ow;
    Mem m(b);
    const float *x = m.in(uniform(nx, 0.f, 1.f, 150)), *mt = m.in(mats);
    float* y = m.out<float>(ny);
    b.warp_perspective(a, x, mt, y);
    return Outputs::of("y", m.get(y, ny));
  };
  r["resize_bilinear"] = [](Backend& b, const Entry& e) {
    const nn::WarpArgs a = warp_args(e);
    const int64_t nx = a.n * a.c * a.h * a.w, ny = a.n * a.c * a.oh * a.ow;
    Mem m(b);
    const float* x = m.in(uniform(nx, 0.f, 1.f, 151));
    float* y = m.out<float>(ny);
    b.resize_bilinear(a, x, y);
    return Outputs::of("y", m.get(y, ny));
  };
  // Per-image factor and shift, clamped to [lo, hi].
  r["brightness"] = [](Backend& b, const Entry& e) {
    const int64_t n = e.dim("x", 0), per = e.numel("x") / n;
    Mem m(b);
    const float* x = m.in(uniform(n * per, 0.f, 1.f, 152));
    const float* factor = m.in(uniform(n, 0.5f, 1.8f, 153));
    const float* shift = m.in(uniform(n, -0.2f, 0.2f, 154));
    float* y = m.out<float>(n * per);
    b.brightness(x, factor, shift, y, n, per, e.f("lo"), e.f("hi"));
    return Outputs::of("y", m.get(y, n * per));
  };
}

}  // namespace kt
