// Index ops, fused optimizer steps (one launch over all parameters) and the k-NN building blocks
// (kernels/index.cuh).
#include <vector>

#include "cuda_backend.h"
#include "kernels/index.cuh"
#include "launch.h"

namespace nn {

using namespace cuda;

void CudaBackend::index_select(const float* x, const int32_t* idx, float* out, int64_t outer, int64_t dim,
                               int64_t inner, int64_t nidx) {
  int64_t n = outer * nidx * inner;
  if (n > 0) NN_LAUNCH(index_select_kernel, blocks_for(n), threads_for(n), x, idx, out, outer, dim, inner, nidx);
}

void CudaBackend::index_add(const float* dout, const int32_t* idx, float* dx, int64_t outer, int64_t dim,
                            int64_t inner, int64_t nidx) {
  int64_t n = outer * inner;
  if (n > 0 && nidx > 0)
    NN_LAUNCH(index_add_kernel, blocks_for(n), threads_for(n), dout, idx, dx, outer, dim, inner, nidx);
}

void CudaBackend::gather(const float* x, const int32_t* idx, float* out, int64_t outer, int64_t dim, int64_t inner,
                         int64_t nj) {
  int64_t n = outer * nj * inner;
  if (n > 0) NN_LAUNCH(gather_kernel, blocks_for(n), threads_for(n), x, idx, out, outer, dim, inner, nj);
}

void CudaBackend::scatter_add(const float* dout, const int32_t* idx, float* dx, int64_t outer, int64_t dim,
                              int64_t inner, int64_t nj) {
  int64_t n = outer * inner;
  if (n > 0 && nj > 0) NN_LAUNCH(scatter_add_kernel, blocks_for(n), threads_for(n), dout, idx, dx, outer, dim, inner, nj);
}

namespace {
// The non-empty tensors of a fused optimizer step as a device table (kernels/index.cuh), with
// the total element count. The table lives in scratch memory for the duration of the launch.
struct OptimTable {
  std::vector<OptimSlot> host;
  int64_t total = 0;
  OptimTable(const ParamSlot* slots, int64_t nslots) {
    for (int64_t s = 0; s < nslots; ++s) {
      const ParamSlot& p = slots[s];
      if (p.n <= 0) continue;
      host.push_back({p.param, p.grad, p.buf1, p.buf2, total});
      total += p.n;
    }
  }
  size_t bytes() const { return host.size() * sizeof(OptimSlot); }
};
}  // namespace

void CudaBackend::sgd_step(const SgdArgs& a, const ParamSlot* slots, int64_t nslots) {
  OptimTable t(slots, nslots);
  if (t.total == 0) return;
  Scratch table(*this, t.bytes());
  copy_from_host(table.as<void>(), t.host.data(), t.bytes());
  NN_LAUNCH(sgd_kernel, blocks_for(t.total), threads_for(t.total), table.as<const OptimSlot>(),
            static_cast<int64_t>(t.host.size()), t.total, a.lr, a.momentum, a.dampening, a.weight_decay, a.nesterov,
            a.first_step);
}

void CudaBackend::adam_step(const AdamArgs& a, const ParamSlot* slots, int64_t nslots) {
  OptimTable t(slots, nslots);
  if (t.total == 0) return;
  // Bias corrections in double on the host, as torch (and the CPU backend) compute them.
  AdamCoeffs c = adam_coeffs(a.lr, a.beta1, a.beta2, a.weight_decay, a.decoupled, a.step);
  float wd = a.decoupled ? 0.f : a.weight_decay;  // AdamW's decay lives in c.decay
  Scratch table(*this, t.bytes());
  copy_from_host(table.as<void>(), t.host.data(), t.bytes());
  NN_LAUNCH(adam_kernel, blocks_for(t.total), threads_for(t.total), table.as<const OptimSlot>(),
            static_cast<int64_t>(t.host.size()), t.total, a.beta1, a.beta2, a.eps, wd, a.decoupled, c);
}

void CudaBackend::pairwise_sqdist(const float* a, const float* b, float* d, int64_t m, int64_t n, int64_t dim) {
  if (m == 0 || n == 0) return;
  if (dim == 0) {
    fill_f32(d, m * n, 0.f);
    return;
  }
  Scratch na(*this, sizeof(float) * m), nb(*this, sizeof(float) * n);
  NN_LAUNCH(row_sqnorms_kernel, blocks_for(m), threads_for(m), a, na.as<float>(), m, dim);
  NN_LAUNCH(row_sqnorms_kernel, blocks_for(n), threads_for(n), b, nb.as<float>(), n, dim);
  GemmArgs g = sqdist_gemm_args(m, n, dim);
  launch_gemm(g, a, b, d);
  NN_LAUNCH(sqdist_finish_kernel, blocks_for(m * n), threads_for(m * n), d, na.as<float>(), nb.as<float>(), m, n);
}

void CudaBackend::topk(const float* x, float* values, int32_t* indices, int64_t rows, int64_t cols, int64_t k,
                       bool largest) {
  if (rows == 0 || k == 0) return;
  NN_LAUNCH(topk_kernel, blocks_for(rows), threads_for(rows), x, values, indices, rows, cols, k, largest);
}

// Exhaustive on the device: proj_dim (a CPU pruning hint) is not used; results are the same.
void CudaBackend::knn_exact(const KnnExactArgs& a, const uint8_t* train, const uint8_t* queries, int32_t* idx,
                            int32_t* dist) {
  if (a.m == 0 || a.k == 0) return;
  NN_LAUNCH(knn_exact_kernel, blocks_for(a.m), threads_for(a.m), train, queries, idx, dist, a.n, a.m, a.dim, a.k);
}

}  // namespace nn
