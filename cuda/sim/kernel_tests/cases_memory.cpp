// Fills, casts, the strided copy, the Philox fills, the permutation and dropout. All of them are
// exact: they move or generate values without arithmetic that could round differently.
// n = 2600 is more than the simulator's grid (8 blocks x 256 threads), so grid-stride loops
// take a second pass; the other sizes are odd so the last warp is partly idle.
#include <string>
#include <type_traits>

#include "harness.h"

namespace kt {
namespace {

using nn::DType;

template <typename T>
DType dtype_of() {
  if constexpr (std::is_same_v<T, float>) return DType::F32;
  if constexpr (std::is_same_v<T, int32_t>) return DType::I32;
  return DType::U8;
}

const char* short_name(DType t) { return t == DType::F32 ? "f32" : (t == DType::I32 ? "i32" : "u8"); }

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
void add_cast(std::vector<Case>& out) {
  const DType from = dtype_of<From>(), to = dtype_of<To>();
  std::string name = std::string("cast/") + short_name(from) + "_to_" + short_name(to);
  out.push_back({name, kExact, [from, to](Backend& b) {
                   const size_t n = 301;
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
                 }});
}

template <typename From>
void add_casts_from(std::vector<Case>& out) {
  add_cast<From, float>(out);
  add_cast<From, int32_t>(out);
  add_cast<From, uint8_t>(out);
}

// A permute of a [3, 5, 7] slice starting at element 4 of its storage into the middle of a
// larger destination: offsets on both sides, no axis contiguous on the source.
template <typename T>
Outputs strided_copy_run(Backend& b) {
  nn::StridedCopyArgs a{};
  a.ndim = 3;
  const int64_t shape[3] = {7, 3, 5};
  for (int d = 0; d < 3; ++d) a.shape[d] = shape[d];
  // source storage [3, 5, 7] (+4); copying it as [7, 3, 5] reads axis 2 first
  a.src_strides[0] = 1, a.src_strides[1] = 35, a.src_strides[2] = 7, a.src_offset = 4;
  // destination [7, 3, 6] with a spare column, from element 2
  a.dst_strides[0] = 18, a.dst_strides[1] = 6, a.dst_strides[2] = 1, a.dst_offset = 2;
  const size_t src_n = 4 + 105, dst_n = 2 + 7 * 18;
  std::vector<int32_t> src = ints(src_n, 0, 250, 5);
  Mem m(b);
  const T* s = m.in(std::vector<T>(src.begin(), src.end()));
  T* d = m.in(std::vector<T>(dst_n, T(77)));  // untouched elements must stay 77
  b.strided_copy(a, s, d, sizeof(T));
  Outputs o;
  o.add_exact("dst", m.get(d, dst_n));
  return o;
}

}  // namespace

void add_memory_cases(std::vector<Case>& out) {
  out.push_back({"fill/f32", kExact, [](Backend& b) {
                   const int64_t n = 2600;
                   Mem m(b);
                   float* y = m.out<float>(n);
                   b.fill_f32(y, n, -2.75f);
                   Outputs o;
                   o.add("y", m.get(y, n));
                   return o;
                 }});
  out.push_back({"fill/i32", kExact, [](Backend& b) {
                   const int64_t n = 97;
                   Mem m(b);
                   int32_t* y = m.out<int32_t>(n);
                   b.fill_i32(y, n, -123456);
                   Outputs o;
                   o.add_exact("y", m.get(y, n));
                   return o;
                 }});
  out.push_back({"arange/f32", kExact, [](Backend& b) {
                   const int64_t n = 331;
                   Mem m(b);
                   float* y = m.out<float>(n);
                   b.arange_f32(y, n, -3.5f, 0.37f);
                   Outputs o;
                   o.add("y", m.get(y, n));
                   return o;
                 }});
  add_casts_from<float>(out);
  add_casts_from<int32_t>(out);
  add_casts_from<uint8_t>(out);
  out.push_back({"strided_copy/u32", kExact, strided_copy_run<int32_t>});
  out.push_back({"strided_copy/u8", kExact, strided_copy_run<uint8_t>});

  out.push_back({"rand/uniform", kExact, [](Backend& b) {
                   const int64_t n = 2600;
                   Mem m(b);
                   float* y = m.out<float>(n);
                   b.rand_uniform(y, n, 1234, 17, -0.5f, 2.f);
                   Outputs o;
                   o.add("y", m.get(y, n));
                   return o;
                 }});
  out.push_back({"rand/normal", kExact, [](Backend& b) {
                   const int64_t n = 203;
                   Mem m(b);
                   float* y = m.out<float>(n);
                   b.rand_normal(y, n, 99, 3, 0.5f, 2.f);
                   Outputs o;
                   o.add("y", m.get(y, n));
                   return o;
                 }});
  out.push_back({"rand/bernoulli", kExact, [](Backend& b) {
                   const int64_t n = 203;
                   Mem m(b);
                   float* y = m.out<float>(n);
                   b.rand_bernoulli(y, n, 7, 0, 0.3f);
                   Outputs o;
                   o.add("y", m.get(y, n));
                   return o;
                 }});
  // 37 keys pad to a 64-key bitonic network (the padding fill and 21 sorting steps).
  out.push_back({"rand/permutation", kExact, [](Backend& b) {
                   const int64_t n = 37;
                   Mem m(b);
                   int32_t* y = m.out<int32_t>(n);
                   b.rand_permutation(y, n, 42, 5);
                   Outputs o;
                   o.add_exact("perm", m.get(y, n));
                   return o;
                 }});
  out.push_back({"dropout/forward", kExact, [](Backend& b) {
                   const int64_t n = 203;  // not a multiple of 4: the last Philox block is partial
                   Mem m(b);
                   const float* x = m.in(uniform(n, -1.f, 1.f, 8));
                   float* y = m.out<float>(n);
                   uint8_t* mask = m.out<uint8_t>(n);
                   b.dropout(x, y, mask, n, 0.3f, 2024, 11);
                   Outputs o;
                   o.add("y", m.get(y, n));
                   o.add_exact("mask", m.get(mask, n));
                   return o;
                 }});
  out.push_back({"dropout/backward", kExact, [](Backend& b) {
                   const int64_t n = 203;
                   std::vector<int32_t> bits = ints(n, 0, 2, 9);
                   Mem m(b);
                   const float* dy = m.in(uniform(n, -1.f, 1.f, 10));
                   const uint8_t* mask = m.in(std::vector<uint8_t>(bits.begin(), bits.end()));
                   float* dx = m.out<float>(n);
                   b.dropout_backward(dy, mask, dx, n, 0.3f);
                   Outputs o;
                   o.add("dx", m.get(dx, n));
                   return o;
                 }});
}

}  // namespace kt
