// Leading principal directions by subspace iteration, projections of byte rows, and the margins
// of the projected lower bounds (knn_projection.h).
#include "knn_projection.h"

#include <algorithm>

#include "../../core/thread_pool.h"
#include "../gemm/gemm.h"

namespace nn::cpu {
namespace {

// Train rows in the principal-direction estimate, and subspace iterations.
constexpr int64_t kPcaSample = 4096;
constexpr int kPcaIterations = 8;

// Orthonormal columns (modified Gram-Schmidt, twice) of z [dim, p] stored column-major. A column
// that is (numerically) in the span of the previous ones is replaced by a coordinate vector.
void orthonormalize(std::vector<double>& z, int64_t dim, int64_t p) {
  for (int64_t t = 0; t < p; ++t) {
    double* c = z.data() + t * dim;
    double before = 0;
    for (int64_t j = 0; j < dim; ++j) before += c[j] * c[j];
    for (int pass = 0; pass < 3; ++pass) {
      for (int round = 0; round < 2; ++round)
        for (int64_t s = 0; s < t; ++s) {
          const double* o = z.data() + s * dim;
          double dot = 0;
          for (int64_t j = 0; j < dim; ++j) dot += o[j] * c[j];
          for (int64_t j = 0; j < dim; ++j) c[j] -= dot * o[j];
        }
      double norm = 0;
      for (int64_t j = 0; j < dim; ++j) norm += c[j] * c[j];
      if (norm > 1e-20 * before && norm > 0) {
        const double inv = 1 / std::sqrt(norm);
        for (int64_t j = 0; j < dim; ++j) c[j] *= inv;
        break;
      }
      // Dependent column: restart from a coordinate vector (pass 2 tries another one).
      std::fill(c, c + dim, 0.0);
      c[(t * 7919 + pass * 104729) % dim] = 1;
      before = 1;
    }
  }
}

}  // namespace

void principal_basis(const uint8_t* train, int64_t n, int64_t dim, int64_t p, std::vector<float>& basis,
                     std::vector<float>& mu) {
  const int64_t ns = std::min(n, kPcaSample), stride = n / ns;
  std::vector<double> mean(static_cast<size_t>(dim), 0.0);
  for (int64_t i = 0; i < ns; ++i)
    for (int64_t j = 0; j < dim; ++j) mean[j] += train[i * stride * dim + j];
  mu.resize(static_cast<size_t>(dim));
  for (int64_t j = 0; j < dim; ++j) mu[j] = static_cast<float>(std::nearbyint(mean[j] / static_cast<double>(ns)));
  std::vector<float> xs(static_cast<size_t>(ns * dim));
  for (int64_t i = 0; i < ns; ++i)
    for (int64_t j = 0; j < dim; ++j) xs[i * dim + j] = static_cast<float>(train[i * stride * dim + j]) - mu[j];
  std::vector<float> cov(static_cast<size_t>(dim * dim));
  cpu::sgemm(gemm_args(true, false, dim, dim, ns, dim, dim, dim, 0.f), xs.data(), xs.data(), cov.data());

  // Start from p sample rows (they lie in the data's span), column-major in double.
  std::vector<double> q(static_cast<size_t>(dim * p));
  for (int64_t t = 0; t < p; ++t)
    for (int64_t j = 0; j < dim; ++j) q[t * dim + j] = xs[(t * ns / p) * dim + j];
  orthonormalize(q, dim, p);
  std::vector<float> qf(static_cast<size_t>(dim * p)), zf(static_cast<size_t>(dim * p));
  for (int it = 0; it < kPcaIterations; ++it) {
    for (int64_t t = 0; t < p; ++t)
      for (int64_t j = 0; j < dim; ++j) qf[j * p + t] = static_cast<float>(q[t * dim + j]);
    cpu::sgemm(gemm_args(false, false, dim, p, dim, dim, p, p, 0.f), cov.data(), qf.data(), zf.data());
    for (int64_t t = 0; t < p; ++t)
      for (int64_t j = 0; j < dim; ++j) q[t * dim + j] = zf[j * p + t];
    orthonormalize(q, dim, p);
  }
  basis.resize(static_cast<size_t>(p * dim));
  for (int64_t t = 0; t < p; ++t)
    for (int64_t j = 0; j < dim; ++j) basis[t * dim + j] = static_cast<float>(q[t * dim + j]);
}

void project_rows(const uint8_t* x, int64_t rows, int64_t rows_pad, int64_t dim, int64_t p,
                  const std::vector<float>& basis, const std::vector<float>& mu, float* out, std::vector<float>& norms2,
                  std::vector<double>& norms, std::vector<double>& vnorms) {
  constexpr int64_t kChunk = 2048;
  std::vector<float> xc(static_cast<size_t>(std::min(rows, kChunk) * dim));
  norms2.assign(static_cast<size_t>(rows_pad), 0.f);
  norms.assign(static_cast<size_t>(rows_pad), 0.0);
  vnorms.assign(static_cast<size_t>(rows_pad), 0.0);
  std::fill(out + rows * p, out + rows_pad * p, 0.f);
  for (int64_t lo = 0; lo < rows; lo += kChunk) {
    const int64_t hi = std::min(rows, lo + kChunk);
    parallel_for(hi - lo, 64, [&](int64_t a, int64_t b) {
      for (int64_t i = a; i < b; ++i) {
        double v = 0;
        for (int64_t j = 0; j < dim; ++j) {
          const float d = static_cast<float>(x[(lo + i) * dim + j]) - mu[j];
          xc[i * dim + j] = d;
          v += static_cast<double>(d) * d;
        }
        vnorms[lo + i] = std::sqrt(v);
      }
    });
    cpu::sgemm(gemm_args(false, true, hi - lo, p, dim, dim, dim, p, 0.f), xc.data(), basis.data(), out + lo * p);
  }
  for (int64_t i = 0; i < rows; ++i) {
    double s = 0;
    for (int64_t t = 0; t < p; ++t) s += static_cast<double>(out[i * p + t]) * out[i * p + t];
    norms[i] = std::sqrt(s);
    norms2[i] = static_cast<float>(s);
  }
}

void ProjectionBounds::init(const std::vector<float>& basis, int64_t p, int64_t dim) {
  double off = 0, fro = 0;
  for (int64_t s = 0; s < p; ++s)
    for (int64_t t = s; t < p; ++t) {
      double g = 0;
      for (int64_t j = 0; j < dim; ++j) g += static_cast<double>(basis[s * dim + j]) * basis[t * dim + j];
      if (s == t) fro += g;
      const double e = s == t ? g - 1 : g;
      off += (s == t ? 1 : 2) * e * e;
    }
  // Double sums of dim products carry relative errors near dim * 2^-53: 1e-9 covers them.
  sigma = std::sqrt(1 + std::sqrt(off) + 1e-9);
  frob = std::sqrt(fro) * (1 + 1e-9);
  gamma_dim = gamma(dim) * (1 + 1e-9);
  eps = 2 * gamma(p + 8);
}

}  // namespace nn::cpu
