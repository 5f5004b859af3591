// The projection behind the exact k-NN's pruning (knn_exact.cpp): a basis of leading principal
// directions, rows projected on it, and the rounding-error margins that turn projected distances
// into certified lower bounds of the exact ones.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace nn::cpu {

// p leading principal directions of the train rows (rows of basis [p, dim]) by subspace
// iteration on the covariance of an evenly spaced sample, and the sample's mean rounded to
// integers (so that x - mu is exact in float). Only the search's speed depends on their quality.
void principal_basis(const uint8_t* train, int64_t n, int64_t dim, int64_t p, std::vector<float>& basis,
                     std::vector<float>& mu);

// Rows of x projected on the basis: out [rows, p] (rows padded with zeros up to rows_pad),
// fl(|a|^2) per row in norms2, |a| in norms and |x - mu| in vnorms.
void project_rows(const uint8_t* x, int64_t rows, int64_t rows_pad, int64_t dim, int64_t p,
                  const std::vector<float>& basis, const std::vector<float>& mu, float* out, std::vector<float>& norms2,
                  std::vector<double>& norms, std::vector<double>& vnorms);

// Rounding-error bounds that make a skipped row provably farther than T.
//
// B is the float basis as stored, with spectral norm sigma (sigma^2 <= 1 + |B B^T - I|_F) and
// Frobenius norm F. For x, y with v = x - mu, w = y - mu (exact integers in float):
//  - the computed projection a of x (a GEMM over dim terms) satisfies |a - Bv| <= gamma_dim F |v|
//    =: eta_x (per coordinate |err| <= gamma_dim |B_t| |v|);
//  - |Bv - Bw| <= sigma |x - y|, hence |a - b| <= sigma sqrt(D) + eta_x + eta_y;
//  - the tile's L = (fl(|a|^2) + fl(|b|^2)) - 2 dot(a, b) is within eps (|a| + |b|)^2 of
//    |a - b|^2, eps = 2 gamma_(p+8) (dot product over p terms, two norm roundings, the sum and
//    the final rounding, with room to spare).
// So D <= T implies L <= (sigma sqrt(T) + eta_x + eta_max)^2 + eps (|a| + |b|max)^2 =: thr(T),
// and a row with L > thr(T) is skipped safely (it could not even tie the k-th).
struct ProjectionBounds {
  double sigma = 1, frob = 1, gamma_dim = 0, eps = 0, eta_max = 0, norm_max = 0;

  static double gamma(int64_t n) {
    const double u = std::ldexp(1.0, -24);
    return static_cast<double>(n) * u / (1 - static_cast<double>(n) * u);
  }

  // sigma, F, gamma_dim and eps of a basis [p, dim] (eta_max and norm_max are set by the caller).
  void init(const std::vector<float>& basis, int64_t p, int64_t dim);
  double eta(double vnorm) const { return gamma_dim * frob * vnorm; }
  // thr(T) rounded up to a float, for a query with projected norm `norm` and eta `eta_q`.
  float threshold(double t, double norm, double eta_q) const {
    const double r = sigma * std::sqrt(t) + eta_q + eta_max, s = norm + norm_max;
    const double thr = (r * r + eps * s * s) * (1 + 1e-12);
    float f = static_cast<float>(thr);
    if (static_cast<double>(f) < thr) f = std::nextafter(f, std::numeric_limits<float>::infinity());
    return f;
  }
};

}  // namespace nn::cpu
