// The native CPU kernel tests: each case runs CPU backend kernels (the nn::Backend interface,
// no Node) on small odd shapes and checks them against naive double-precision references
// written here, independently of the kernels. Built by native/tests/CMakeLists.txt, on the host
// and cross-compiled for aarch64 (scripts/cross-aarch64.sh, run under qemu), so the portable
// kernels of non-x86 builds are checked as well as the AVX2 / AVX-512 ones.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "../backend.h"

namespace ct {

// Deterministic inputs (splitmix64) in [lo, hi).
std::vector<float> uniform(size_t n, float lo, float hi, uint64_t seed);

// Collects the failures of one case. Each check compares one output element by element and
// records the first few mismatches with their index.
class Check {
 public:
  explicit Check(std::string name) : name_(std::move(name)) {}
  // |got - want| <= bound[i] for every i (bound from the reference's own error bound).
  void close(const std::string& what, const std::vector<float>& got, const std::vector<double>& want,
             const std::vector<double>& bound);
  // |got - want| <= rtol * |want| + atol.
  void near(const std::string& what, const std::vector<float>& got, const std::vector<double>& want, double rtol,
            double atol);
  template <typename T>
  void equal(const std::string& what, const std::vector<T>& got, const std::vector<T>& want) {
    if (got.size() != want.size())
      return fail(what + ": size " + std::to_string(got.size()) + " != " + std::to_string(want.size()));
    for (size_t i = 0; i < got.size(); ++i)
      if (got[i] != want[i])
        return fail(what + "[" + std::to_string(i) + "]: got " + std::to_string(got[i]) + ", want " +
                    std::to_string(want[i]));
  }
  void fail(const std::string& msg);
  bool ok() const { return failures_ == 0; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  int failures_ = 0;
};

// Error bound of a float sum of k products whose absolute values add up to `abs_sum`: the
// classic gamma_k bound (k * 2^-24 per term, doubled for the alpha/beta epilogue and FMA-or-not
// rounding), plus a denormal-sized floor. A wrong index or a lost term breaks it by orders of
// magnitude.
inline double dot_bound(int64_t k, double abs_sum) {
  return (2.0 * static_cast<double>(k) + 4.0) * 5.97e-8 * abs_sum + 1e-30;
}

struct Case {
  std::string name;
  void (*run)(Check&);
};

// The case lists, one function per op family (cases_*.cpp).
void add_gemm_cases(std::vector<Case>& out);
void add_conv_cases(std::vector<Case>& out);
void add_pool_cases(std::vector<Case>& out);
void add_reduce_cases(std::vector<Case>& out);  // reductions, softmax
void add_misc_cases(std::vector<Case>& out);    // Adam, pairwise distances, exact k-NN

inline nn::Backend& B() { return nn::cpu_backend(); }

}  // namespace ct
