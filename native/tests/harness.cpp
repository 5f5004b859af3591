#include "harness.h"

#include <cmath>
#include <cstdio>

namespace ct {

std::vector<float> uniform(size_t n, float lo, float hi, uint64_t seed) {
  std::vector<float> v(n);
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (auto& x : v) {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    x = lo + (hi - lo) * static_cast<float>((z >> 40) * (1.0 / 16777216.0));
  }
  return v;
}

void Check::fail(const std::string& msg) {
  if (++failures_ <= 5) std::printf("  %s: %s\n", name_.c_str(), msg.c_str());
}

void Check::close(const std::string& what, const std::vector<float>& got, const std::vector<double>& want,
                  const std::vector<double>& bound) {
  if (got.size() != want.size()) return fail(what + ": size mismatch");
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::fabs(static_cast<double>(got[i]) - want[i]);
    if (!(err <= bound[i])) {  // NaN fails too
      char buf[160];
      std::snprintf(buf, sizeof buf, "%s[%zu]: got %.9g, want %.9g (error %.3g > bound %.3g)", what.c_str(), i,
                    static_cast<double>(got[i]), want[i], err, bound[i]);
      return fail(buf);
    }
  }
}

void Check::near(const std::string& what, const std::vector<float>& got, const std::vector<double>& want, double rtol,
                 double atol) {
  std::vector<double> bound(want.size());
  for (size_t i = 0; i < want.size(); ++i) bound[i] = rtol * std::fabs(want[i]) + atol;
  close(what, got, want, bound);
}

}  // namespace ct
