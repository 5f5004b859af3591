// Stand-alone checks of the simulator itself, built and run by test/cuda-sim.test.ts:
//   g++ -std=c++17 -O1 -Icuda cuda/sim/selftest.cpp cuda/sim/sim.cpp -o selftest [-DNNLAB_SIM_THREADS -fsanitize=thread]
// Each case prints one JSON line {"case": ..., "ok": bool, "detail": ...}; the test asserts on them.
// The planted bugs are the classic ones a CPU test of CUDA code never sees: a missing
// __syncthreads between writing and reading shared memory, and an early return before a barrier.
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

int main() {
  std::vector<float> x(256);
  double ref = 0;
  for (int i = 0; i < 256; ++i) {
    x[i] = static_cast<float>((i * 37) % 101) / 7.f;
    ref += x[i];
  }
  auto body = [&](auto kernel, auto... args) { return [=] { kernel(args...); }; };

  for (bool planted : {false, true}) {
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

  {
    float out = 0;
    std::string err;
    try {
      nnsim::launch("early_return_kernel", dim3(1), dim3(64), body(early_return_kernel, x.data(), &out, 40));
    } catch (const nnsim::SimError& e) {
      err = e.what();
    }
    report("early_return_before_barrier", err.empty(), err.empty() ? "no error" : err);
  }

  {
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

  {
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
    nn::GemmArgs g;
    g.m = m;
    g.n = n;
    g.k = k;
    g.lda = k;
    g.ldb = n;
    g.ldc = n;
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
