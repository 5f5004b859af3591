// Stand-alone checks of the simulator itself, built and run by test/ops/cuda-sim.test.ts:
//   g++ -std=c++17 -O1 -Icuda cuda/sim/selftest.cpp cuda/sim/sim.cpp -o selftest [-DNNLAB_SIM_THREADS
//   -fsanitize=thread] selftest [case]   (all cases, or only the named one: the TSan test runs each case alone to
//                      tell which of them ThreadSanitizer reports)
// Each case prints one JSON line {"case": ..., "ok": bool, "detail": ...}; the test asserts on them.
// The planted bugs are the classic ones a CPU test of CUDA code never sees: a missing
// __syncthreads between writing and reading shared memory, and an early return before a barrier.
// Two more are races only ThreadSanitizer on the threads scheduler can see (their results come
// out right on fibers): blocks updating one element without atomics, and reading another warp's
// shared-memory slot after warp shuffles but without a barrier.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "../kernels/common.cuh"
#include "../kernels/gemm.cuh"
#include "sim.h"

using nn::cuda::block_reduce;
using nn::cuda::SumOp;

// Sum of 256 values by a shared-memory tree. `planted` drops the barrier between the tree's
// levels: a thread then reads a partner's slot before the partner has written it.
static __global__ void tree_sum_kernel(const float* x, float* out, bool planted) {
  NN_SHARED(float, s, [256]);
  const int t = threadIdx.x;
  s[t] = x[t];
  __syncthreads();
  for (int stride = 128; stride > 0; stride >>= 1) {
    if (t < stride) s[t] += s[t + stride];
    if (!planted) __syncthreads();
  }
  if (t == 0) *out = s[0];
}

// Guarded by an early return before the barrier (the bug of `if (i >= n) return;` at the top
// of a kernel that later synchronises).
static __global__ void early_return_kernel(const float* x, float* out, int n) {
  NN_SHARED(float, smem, [33]);
  const int i = threadIdx.x;
  if (i >= n) return;
  float v = block_reduce(x[i], SumOp{}, 0.f, smem);
  if (i == 0) *out = v;
}

// Every block adds into *out without atomics: concurrent blocks lose updates on a GPU.
static __global__ void cross_block_race_kernel(float* out) {
  if (threadIdx.x == 0) *out += 1.f;
}

// The same with atomicAdd: correct, and no race.
static __global__ void cross_block_atomic_kernel(float* out) {
  if (threadIdx.x == 0) atomicAdd(out, 1.f);
}

// Each thread writes its slot, joins a warp reduction (shuffles order the lanes of one warp
// only), then reads a slot of the other warp: a missing __syncthreads.
static __global__ void shuffle_without_barrier_kernel(const float* x, float* out) {
  NN_SHARED(float, s, [64]);
  const int t = threadIdx.x;
  s[t] = x[t];
  float v = nn::cuda::warp_reduce(x[t], SumOp{});
  out[t] = v + s[(t + 32) % 64];
}

static __global__ void warp_sum_kernel(const float* x, float* out) {
  NN_SHARED(float, smem, [33]);
  float v = block_reduce(x[threadIdx.x], SumOp{}, 0.f, smem);
  if (threadIdx.x == 0) *out = v;
}

static void report(const char* name, bool ok, const std::string& detail) {
  std::string d;
  for (char c : detail) d += (c == '"' || c == '\\') ? ' ' : c;
  std::printf("{\"case\":\"%s\",\"ok\":%s,\"detail\":\"%s\"}\n", name, ok ? "true" : "false", d.c_str());
  std::fflush(stdout);
}

int main(int argc, char** argv) {
  const std::string only = argc > 1 ? argv[1] : "";
  auto wanted = [&](const char* name) { return only.empty() || only == name; };
  std::vector<float> x(256);
  double ref = 0;
  for (int i = 0; i < 256; ++i) {
    x[i] = static_cast<float>((i * 37) % 101) / 7.f;
    ref += x[i];
  }
  auto body = [&](auto kernel, auto... args) { return [=] { kernel(args...); }; };

  for (bool planted : {false, true}) {
    if (!wanted(planted ? "tree_sum_missing_barrier" : "tree_sum")) continue;
    float out = 0;
    std::string err;
    try {
      nnsim::launch("tree_sum_kernel", dim3(1), dim3(256), body(tree_sum_kernel, x.data(), &out, planted));
    } catch (const nnsim::SimError& e) {
      err = e.what();
    }
    bool right = err.empty() && std::fabs(out - ref) <= 1e-3 * ref;
    report(planted ? "tree_sum_missing_barrier" : "tree_sum", right,
           err.empty() ? "sum " + std::to_string(out) + " expected " + std::to_string(ref) : err);
  }

  if (wanted("early_return_before_barrier")) {
    float out = 0;
    std::string err;
    try {
      nnsim::launch("early_return_kernel", dim3(1), dim3(64), body(early_return_kernel, x.data(), &out, 40));
    } catch (const nnsim::SimError& e) {
      err = e.what();
    }
    report("early_return_before_barrier", err.empty(), err.empty() ? "no error" : err);
  }

  for (bool atomic : {false, true}) {
    if (!wanted(atomic ? "cross_block_atomic" : "cross_block_race")) continue;
    float out = 0;
    std::string err;
    try {
      if (atomic)
        nnsim::launch("cross_block_atomic_kernel", dim3(4), dim3(32), body(cross_block_atomic_kernel, &out));
      else
        nnsim::launch("cross_block_race_kernel", dim3(4), dim3(32), body(cross_block_race_kernel, &out));
    } catch (const nnsim::SimError& e) {
      err = e.what();
    }
    report(atomic ? "cross_block_atomic" : "cross_block_race", err.empty() && out == 4.f,
           err.empty() ? "sum " + std::to_string(out) + " expected 4" : err);
  }

  if (wanted("shuffle_without_barrier")) {
    std::vector<float> out(64, NAN);
    std::string err;
    try {
      nnsim::launch("shuffle_without_barrier_kernel", dim3(1), dim3(64),
                    body(shuffle_without_barrier_kernel, x.data(), out.data()));
    } catch (const nnsim::SimError& e) {
      err = e.what();
    }
    // The warp sums as lane 0 sees them; every lane also adds its partner's slot.
    float w0 = 0, w1 = 0;
    for (int i = 0; i < 32; ++i) w0 += x[i], w1 += x[32 + i];
    bool right = err.empty() && std::fabs(out[0] - (w0 + x[32])) <= 1e-3f && std::fabs(out[32] - (w1 + x[0])) <= 1e-3f;
    report("shuffle_without_barrier", right, err.empty() ? "lane 0 " + std::to_string(out[0]) : err);
  }

  if (wanted("warp_shuffle_sum")) {
    float out = 0;
    std::string err;
    try {
      nnsim::launch("warp_sum_kernel", dim3(1), dim3(256), body(warp_sum_kernel, x.data(), &out));
    } catch (const nnsim::SimError& e) {
      err = e.what();
    }
    bool right = err.empty() && std::fabs(out - ref) <= 1e-3 * ref;
    report("warp_shuffle_sum", right, err.empty() ? "sum " + std::to_string(out) : err);
  }

  if (wanted("gemm_bit_identical")) {
    // The tiled GEMM against a plain FMA loop: same per-element order of k, so equal bits.
    const int m = 70, n = 45, k = 37;
    std::vector<float> A(m * k), B(k * n), C(m * n, NAN), R(m * n);
    for (int i = 0; i < m * k; ++i) A[i] = static_cast<float>((i * 13) % 17) / 9.f - 0.8f;
    for (int i = 0; i < k * n; ++i) B[i] = static_cast<float>((i * 7) % 19) / 11.f - 0.7f;
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        float acc = 0.f;
        for (int p = 0; p < k; ++p) acc = std::fma(A[i * k + p], B[p * n + j], acc);
        R[i * n + j] = acc;
      }
    const nn::GemmArgs g = nn::gemm_args(false, false, m, n, k, k, n, n, 0.f);
    std::string err;
    try {
      nnsim::launch("gemm_kernel", dim3((n + 31) / 32, (m + 31) / 32, 1), dim3(16, 16),
                    body(nn::cuda::gemm_kernel, g, A.data(), B.data(), C.data()));
    } catch (const nnsim::SimError& e) {
      err = e.what();
    }
    int bad = 0;
    for (int i = 0; i < m * n; ++i) bad += C[i] != R[i];
    report("gemm_bit_identical", err.empty() && bad == 0, err.empty() ? std::to_string(bad) + " elements differ" : err);
  }
  return 0;
}
