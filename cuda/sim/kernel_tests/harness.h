// The kernel unit tests: every op of the CUDA backend, compiled over the simulator, against the
// CPU backend (the same nn::Backend interface) on small odd shapes. A case is a function that
// runs one op on a given backend from fixed host inputs and returns its outputs; the driver
// (main.cpp) runs it on both backends and compares output by output.
//
// Why a C++ driver rather than the node addon: under ThreadSanitizer the addon would need libtsan
// preloaded into node; this binary links the CPU backend, the simulated CUDA backend and the
// simulator directly, built twice (std::threads + TSan, and fibers) by CMakeLists.txt here.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "../../../native/backend.h"

namespace kt {

using nn::Backend;

// Deterministic inputs (splitmix64), identical for both backends and every run.
std::vector<float> uniform(size_t n, float lo, float hi, uint64_t seed);
std::vector<int32_t> ints(size_t n, int32_t lo, int32_t hi_exclusive, uint64_t seed);

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
  Backend& backend() { return b_; }

 private:
  void* raw(size_t bytes);
  void poison(void* p, size_t bytes);
  Backend& b_;
  std::vector<std::pair<void*, size_t>> owned_;
};

// Named outputs of one run. Float outputs are compared within the case's tolerance; integer
// outputs (indices, masks, casts to integers) must be equal.
struct Outputs {
  std::vector<std::pair<std::string, std::vector<float>>> floats;
  std::vector<std::pair<std::string, std::vector<int64_t>>> exact;
  void add(const std::string& name, std::vector<float> v) { floats.emplace_back(name, std::move(v)); }
  template <typename T>
  void add_exact(const std::string& name, const std::vector<T>& v) {
    exact.emplace_back(name, std::vector<int64_t>(v.begin(), v.end()));
  }
};

// |got - want| <= rtol * |want| + atol_scale * max|want over the output|. NaN must meet NaN and
// infinities the same infinity. {0, 0} demands equal bits (up to the sign of zero).
struct Tol {
  double rtol = 0, atol_scale = 0;
};
constexpr Tol kExact{0, 0};
// Per-element float math shared through native/kernels (a few ulps: the CPU backend may take a
// vectorised path with its own rounding).
constexpr Tol kElementwise{2e-6, 1e-7};
// Sums whose order differs between a block tree / tiled kernel and the CPU's loops.
constexpr Tol kAccumulate{1e-5, 2e-6};

struct Case {
  std::string name;  // "family/variant", unique
  Tol tol;
  std::function<Outputs(Backend&)> run;
};

// The case lists, one function per op family (cases_*.cpp).
void add_memory_cases(std::vector<Case>& out);       // fills, casts, strided copy, Philox, dropout
void add_linalg_cases(std::vector<Case>& out);       // GEMM, conv2d
void add_pool_norm_cases(std::vector<Case>& out);    // pooling, batch norm
void add_elementwise_cases(std::vector<Case>& out);  // unary, binary with broadcasting, where
void add_reduce_cases(std::vector<Case>& out);       // reductions, argmax, softmax, cross-entropy
void add_index_cases(std::vector<Case>& out);        // index ops, one-hot, optimizer steps, images
void add_knn_cases(std::vector<Case>& out);          // distance matrix, top-k
void add_spectral_cases(std::vector<Case>& out);     // STFT, mel filter bank, power to dB
void add_grid_cases(std::vector<Case>& out);         // thousands of blocks (NNLAB_SIM_MAX_BLOCKS)

}  // namespace kt
