// Tensor shapes: a short list of non-negative extents, printed as [2, 3, 4] in error messages.
#pragma once
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "error.h"

namespace nn {

using Shape = std::vector<int64_t>;

// Largest element count any tensor may have: far beyond any real allocation, and small enough
// that a count times an element size (<= 8 bytes) or plus an offset cannot overflow int64.
constexpr int64_t kMaxElements = int64_t(1) << 56;

inline std::string shape_str(const Shape& s);

// a * b for non-negative extents, or -1 when the product leaves [0, kMaxElements].
inline int64_t checked_mul(int64_t a, int64_t b) {
  int64_t r;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r) || r > kMaxElements) return -1;
  return r;
}

// The element count. A shape whose count overflows (or has a negative extent) is refused here,
// so no kernel ever sees a wrapped-around count: [2**25, 2**39] must not look like 0 elements.
inline int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) {
    if (d < 0) fail(ErrorCode::Argument, "tensor shape ", shape_str(s), " has a negative dimension");
    n = checked_mul(n, d);
    if (n < 0)
      fail(ErrorCode::OutOfMemory, "tensor shape ", shape_str(s),
           " has more than 2^56 elements (element count overflows)");
  }
  return n;
}

inline std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(s[i]);
  }
  return out + "]";
}

// Row-major (C order) strides in elements.
inline Shape contiguous_strides(const Shape& s) {
  Shape st(s.size());
  int64_t acc = 1;
  for (size_t i = s.size(); i-- > 0;) {
    st[i] = acc;
    // numel(s) checks the count first where it matters; saturate so a stray call cannot wrap.
    int64_t next = checked_mul(acc, s[i]);
    acc = next < 0 ? kMaxElements : next;
  }
  return st;
}

// NumPy broadcasting of two shapes; throws a Shape error naming both when they are incompatible.
inline Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1)
      fail(ErrorCode::Shape, op, ": shapes ", shape_str(a), " and ", shape_str(b),
           " cannot be broadcast together (dimension ", i, ": ", da, " vs ", db, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

}  // namespace nn
