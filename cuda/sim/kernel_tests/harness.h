// The kernel unit tests: every op of the CUDA backend, compiled over the simulator, against the
// CPU backend (the same nn::Backend interface) on small odd shapes. The shapes, parameters and
// tolerances come from the shared case table (lib/core/conformance/table.ts, read as JSON); a
// runner per op (cases_*.cpp) turns an entry into a call from fixed host inputs and returns its
// outputs; the driver (main.cpp) runs it on both backends and compares output by output.
//
// Why a C++ driver rather than the node addon: under ThreadSanitizer the addon would need libtsan
// preloaded into node; this binary links the CPU backend, the simulated CUDA backend and the
// simulator directly, built twice (std::threads + TSan, and fibers) by CMakeLists.txt here.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "../../../native/backend.h"
#include "json.h"

namespace kt {

using nn::Backend;

// Deterministic inputs (splitmix64), identical for both backends and every run.
std::vector<float> uniform(size_t n, float lo, float hi, uint64_t seed);
std::vector<int32_t> ints(size_t n, int32_t lo, int32_t hi_exclusive, uint64_t seed);

// Named outputs of one run. Float outputs are compared within the case's tolerance; integer
// outputs (indices, masks, casts to integers) must be equal.
struct Outputs {
  std::vector<std::pair<std::string, std::vector<float>>> floats;
  std::vector<std::pair<std::string, std::vector<int64_t>>> exact;
  void add(const std::string& name, std::vector<float> v) { floats.emplace_back(name, std::move(v)); }
  // The outputs of an op with one float result.
  static Outputs of(const std::string& name, std::vector<float> v) {
    Outputs o;
    o.add(name, std::move(v));
    return o;
  }
  template <typename T>
  void add_exact(const std::string& name, const std::vector<T>& v) {
    exact.emplace_back(name, std::vector<int64_t>(v.begin(), v.end()));
  }
};

// Buffers of one backend for one run of a case, freed when it goes out of scope. Inputs are
// uploaded from host vectors; outputs start as 0xFF bytes (NaN floats, -1 ints) so an element
// a kernel forgets to write shows up as a mismatch instead of a lucky zero.
class Mem {
 public:
  explicit Mem(Backend& b) : b_(b) {}
  ~Mem();
  Mem(const Mem&) = delete;
  Mem& operator=(const Mem&) = delete;

  template <typename T>
  T* in(const std::vector<T>& host) {
    T* p = static_cast<T*>(raw(host.size() * sizeof(T)));
    if (!host.empty()) b_.copy_from_host(p, host.data(), host.size() * sizeof(T));
    return p;
  }
  template <typename T>
  T* out(size_t n) {
    T* p = static_cast<T*>(raw(n * sizeof(T)));
    poison(p, n * sizeof(T));
    return p;
  }
  template <typename T>
  std::vector<T> get(const T* p, size_t n) {
    std::vector<T> h(n);
    if (n) b_.copy_to_host(h.data(), p, n * sizeof(T));
    return h;
  }
  // Runs fill(p) on a fresh float output p of n elements and returns it as the output `name`.
  template <typename Fill>
  Outputs one(const std::string& name, size_t n, Fill fill) {
    float* p = out<float>(n);
    fill(p);
    return Outputs::of(name, get(p, n));
  }
  Backend& backend() { return b_; }

 private:
  void* raw(size_t bytes);
  void poison(void* p, size_t bytes);
  Backend& b_;
  std::vector<std::pair<void*, size_t>> owned_;
};

// |got - want| <= rtol * |want| + atol_scale * max|want over the output|. NaN must meet NaN and
// infinities the same infinity. {0, 0} demands equal bits (up to the sign of zero). The classes
// (exact, elementwise, accumulate...) are defined in the case table.
struct Tol {
  double rtol = 0, atol_scale = 0;
};

// One entry of the case table: shapes and params by name (a missing one throws, naming it).
struct Entry {
  std::string op, name;
  Tol tol;
  Json shapes, params;

  std::vector<int64_t> shape(const std::string& k) const { return shapes[k].integers(); }
  int64_t numel(const std::string& k) const;
  int64_t dim(const std::string& k, size_t i) const { return shapes[k][i].integer(); }
  double num(const std::string& k) const { return params[k].number(); }
  float f(const std::string& k) const { return static_cast<float>(params[k].number()); }
  int64_t i(const std::string& k) const { return params[k].integer(); }
  bool flag(const std::string& k) const { return params.has(k) && params[k].boolean(); }
  const std::string& str(const std::string& k) const { return params[k].string(); }
  std::vector<int64_t> list(const std::string& k) const { return params[k].integers(); }
};

struct Case {
  std::string name;  // "op/name", unique
  Tol tol;
  std::function<Outputs(Backend&)> run;
};

// A runner per backend op, by its name in native/ops.def; one function per family fills them.
using Runner = std::function<Outputs(Backend&, const Entry&)>;
using Runners = std::map<std::string, Runner>;
void add_memory_runners(Runners& r);       // fills, casts, strided copy, Philox, dropout
void add_linalg_runners(Runners& r);       // GEMM, conv2d, conv2d + max pooling
void add_pool_norm_runners(Runners& r);    // pooling, batch norm
void add_elementwise_runners(Runners& r);  // unary, binary with broadcasting, where
void add_reduce_runners(Runners& r);       // reductions, argmax, softmax, cross-entropy
void add_index_runners(Runners& r);        // index ops, one-hot, optimizer steps, images
void add_knn_runners(Runners& r);          // distance matrix, top-k, exact k-NN
void add_spectral_runners(Runners& r);     // STFT, mel filter bank, power to dB

// The cases of the table at `path` (JSON), each bound to its op's runner. Throws naming an entry
// whose op has no runner. Entries marked only for the addon suite are left out.
std::vector<Case> load_cases(const std::string& path, const Runners& runners);

}  // namespace kt
