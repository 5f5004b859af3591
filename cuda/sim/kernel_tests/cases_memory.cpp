// Runners of the fills, casts, the strided copy, the Philox fills, the permutation and dropout.
// All of them are exact: they move or generate values without arithmetic that could round
// differently.
#include <string>
#include <type_traits>

#include "harness.h"

namespace kt {
namespace {

using nn::DType;

DType dtype_named(const std::string& s) { return s == "f32" ? DType::F32 : (s == "i32" ? DType::I32 : DType::U8); }

// Sources the target type can hold (a float outside [0, 256) converted to uint8 is undefined
// behaviour in C++, so on both backends), with fractions to check truncation toward zero and
// negative int32 that wrap when narrowed to uint8.
template <typename From>
std::vector<From> cast_source(size_t n, bool to_u8) {
  const bool non_negative = std::is_same_v<From, uint8_t> || (to_u8 && std::is_same_v<From, float>);
  std::vector<float> v = uniform(n, non_negative ? 0.f : -300.f, 255.9f, 21);
  return std::vector<From>(v.begin(), v.end());
}

template <typename From, typename To>
Outputs cast_run(Backend& b, const Entry& e) {
  const DType from = dtype_named(e.str("from")), to = dtype_named(e.str("to"));
  const int64_t n = e.numel("x");
  Mem m(b);
  const From* x = m.in(cast_source<From>(n, to == DType::U8));
  To* y = m.out<To>(n);
  b.cast(x, from, y, to, n, to == DType::F32 && from == DType::U8 ? 1.f / 255.f : 1.f);
  Outputs o;
  if constexpr (std::is_same_v<To, float>)
    o.add("y", m.get(y, n));
  else
    o.add_exact("y", m.get(y, n));
  return o;
}

template <typename From>
Outputs cast_from(Backend& b, const Entry& e) {
  const DType to = dtype_named(e.str("to"));
  if (to == DType::F32) return cast_run<From, float>(b, e);
  if (to == DType::I32) return cast_run<From, int32_t>(b, e);
  return cast_run<From, uint8_t>(b, e);
}

// The view `view` of src (strides, offset) copied into dst (strides, offset); elements of dst
// outside the view must stay 77.
template <typename T>
Outputs strided_copy_run(Backend& b, const Entry& e) {
  nn::StridedCopyArgs a{};
  const std::vector<int64_t> view = e.shape("view"), ss = e.list("src_strides"), ds = e.list("dst_strides");
  a.ndim = static_cast<int>(view.size());
  for (int d = 0; d < a.ndim; ++d) a.shape[d] = view[d], a.src_strides[d] = ss[d], a.dst_strides[d] = ds[d];
  a.src_offset = e.i("src_offset"), a.dst_offset = e.i("dst_offset");
  std::vector<int32_t> src = ints(e.numel("src"), 0, 250, 5);
  Mem m(b);
  const T* s = m.in(std::vector<T>(src.begin(), src.end()));
  T* d = m.in(std::vector<T>(e.numel("dst"), T(77)));
  b.strided_copy(a, s, d, sizeof(T));
  Outputs o;
  o.add_exact("dst", m.get(d, e.numel("dst")));
  return o;
}

// Runs `fill(y, n)` into a fresh output of e.shapes.y.
template <typename Fill>
Outputs generated(Backend& b, const Entry& e, Fill fill) {
  const int64_t n = e.numel("y");
  Mem m(b);
  float* y = m.out<float>(n);
  fill(y, n);
  return Outputs::of("y", m.get(y, n));
}

}  // namespace

void add_memory_runners(Runners& r) {
  r["fill_f32"] = [](Backend& b, const Entry& e) {
    return generated(b, e, [&](float* y, int64_t n) { b.fill_f32(y, n, e.f("value")); });
  };
  r["fill_i32"] = [](Backend& b, const Entry& e) {
    const int64_t n = e.numel("y");
    Mem m(b);
    int32_t* y = m.out<int32_t>(n);
    b.fill_i32(y, n, static_cast<int32_t>(e.i("value")));
    Outputs o;
    o.add_exact("y", m.get(y, n));
    return o;
  };
  r["arange_f32"] = [](Backend& b, const Entry& e) {
    return generated(b, e, [&](float* y, int64_t n) { b.arange_f32(y, n, e.f("start"), e.f("step")); });
  };
  r["cast"] = [](Backend& b, const Entry& e) {
    const DType from = dtype_named(e.str("from"));
    if (from == DType::F32) return cast_from<float>(b, e);
    if (from == DType::I32) return cast_from<int32_t>(b, e);
    return cast_from<uint8_t>(b, e);
  };
  r["byte_table"] = [](Backend& b, const Entry& e) {
    const int64_t n = e.numel("x");
    Mem m(b);
    const uint8_t* x = m.in(cast_source<uint8_t>(n, false));
    const float* table = m.in(uniform(256, -3.f, 3.f, 22));
    float* y = m.out<float>(n);
    b.byte_table(x, table, y, n);
    return Outputs::of("y", m.get(y, n));
  };
  r["strided_copy"] = [](Backend& b, const Entry& e) {
    return e.str("dtype") == "u8" ? strided_copy_run<uint8_t>(b, e) : strided_copy_run<int32_t>(b, e);
  };
  r["rand_uniform"] = [](Backend& b, const Entry& e) {
    return generated(
        b, e, [&](float* y, int64_t n) { b.rand_uniform(y, n, e.i("seed"), e.i("offset"), e.f("lo"), e.f("hi")); });
  };
  r["rand_normal"] = [](Backend& b, const Entry& e) {
    return generated(
        b, e, [&](float* y, int64_t n) { b.rand_normal(y, n, e.i("seed"), e.i("offset"), e.f("mean"), e.f("std")); });
  };
  r["rand_bernoulli"] = [](Backend& b, const Entry& e) {
    return generated(b, e, [&](float* y, int64_t n) { b.rand_bernoulli(y, n, e.i("seed"), e.i("offset"), e.f("p")); });
  };
  r["rand_permutation"] = [](Backend& b, const Entry& e) {
    const int64_t n = e.numel("y");
    Mem m(b);
    int32_t* y = m.out<int32_t>(n);
    b.rand_permutation(y, n, e.i("seed"), e.i("offset"));
    Outputs o;
    o.add_exact("perm", m.get(y, n));
    return o;
  };
  r["dropout"] = [](Backend& b, const Entry& e) {
    const int64_t n = e.numel("x");
    Mem m(b);
    const float* x = m.in(uniform(n, -1.f, 1.f, 8));
    float* y = m.out<float>(n);
    uint8_t* mask = m.out<uint8_t>(n);
    b.dropout(x, y, mask, n, e.f("p"), e.i("seed"), e.i("offset"));
    Outputs o = Outputs::of("y", m.get(y, n));
    o.add_exact("mask", m.get(mask, n));
    return o;
  };
  r["dropout_backward"] = [](Backend& b, const Entry& e) {
    const int64_t n = e.numel("dy");
    std::vector<int32_t> bits = ints(n, 0, 2, 9);
    Mem m(b);
    const float* dy = m.in(uniform(n, -1.f, 1.f, 10));
    const uint8_t* mask = m.in(std::vector<uint8_t>(bits.begin(), bits.end()));
    float* dx = m.out<float>(n);
    b.dropout_backward(dy, mask, dx, n, e.f("p"));
    return Outputs::of("dx", m.get(dx, n));
  };
}

}  // namespace kt
