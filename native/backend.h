// The one backend interface. The CPU backend (native/cpu/) and the CUDA backend (cuda/)
// implement it; the binding validates arguments, allocates outputs, then calls these methods
// with raw device pointers. Methods trust their arguments: all checking happens before.
//
// Conventions: row-major contiguous buffers; images are NCHW; "outer/dim/inner" describes a
// tensor viewed as [outer, dim, inner] around the axis an op works along. Outputs are
// overwritten, never accumulated into, unless a parameter says otherwise.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/dtype.h"
#include "kernels/ops.h"

namespace nn {

struct GemmArgs {
  bool trans_a = false, trans_b = false;  // C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C
  int64_t m = 0, n = 0, k = 0;
  float alpha = 1.f, beta = 0.f;
  int64_t lda = 0, ldb = 0, ldc = 0;        // leading dimensions (row strides) of A, B, C as stored
  int64_t batch = 1;                        // batched form: matrices at A + i*stride_a, ...
  int64_t stride_a = 0, stride_b = 0, stride_c = 0;
};

// One GEMM of the lowered convolutions (both backends): C = op(A) op(B) + beta * C.
inline GemmArgs gemm_args(bool ta, bool tb, int64_t m, int64_t n, int64_t k, int64_t lda, int64_t ldb, int64_t ldc,
                          float beta) {
  GemmArgs g;
  g.trans_a = ta;
  g.trans_b = tb;
  g.m = m;
  g.n = n;
  g.k = k;
  g.lda = lda;
  g.ldb = ldb;
  g.ldc = ldc;
  g.beta = beta;
  return g;
}

// The cross term of pairwise squared distances, -2 a b^T, for a [m, dim] and b [n, dim]: both
// backends add the row norms to it afterwards.
inline GemmArgs sqdist_gemm_args(int64_t m, int64_t n, int64_t dim) {
  GemmArgs g = gemm_args(false, true, m, n, dim, dim, dim, n, 0.f);
  g.alpha = -2.f;
  return g;
}

// Exact k-NN over uint8 rows: n train rows and m query rows of dim bytes each.
struct KnnExactArgs {
  int64_t n = 0, m = 0, dim = 0, k = 0;
  int64_t proj_dim = 0;  // speed only: the CPU prunes with a proj_dim-D projection (0: exhaustive)
};

struct Conv2dArgs {
  int64_t n, c, h, w;         // input
  int64_t k, r, s;            // output channels, kernel height/width; weight is [k, c/groups, r, s]
  int64_t stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups;
  int64_t oh, ow;             // output spatial size, computed by the binding
};

struct Pool2dArgs {
  int64_t n, c, h, w;
  int64_t kh, kw, stride_h, stride_w, pad_h, pad_w;
  int64_t oh, ow;
  bool count_include_pad = true;  // average pooling only (PyTorch's default)
};

struct BatchNormArgs {
  int64_t n, c, hw;  // x viewed as [n, c, hw]; BatchNorm1d on [n, c] has hw = 1
  float eps = 1e-5f;
  float momentum = 0.1f;  // running = (1 - momentum) * running + momentum * batch (unbiased var)
};

// Shapes of a broadcasting binary op, padded to kMaxDims; strides are 0 on broadcast axes.
constexpr int kMaxDims = 8;
struct BroadcastArgs {
  int ndim;
  int64_t out_shape[kMaxDims];
  int64_t a_strides[kMaxDims];
  int64_t b_strides[kMaxDims];
};

// A general strided copy: dst[idx . dst_strides] = src[idx . src_strides + src_offset] for every
// idx in shape. Covers permute/transpose, slicing, expand (stride 0) and concat (dst offsets).
struct StridedCopyArgs {
  int ndim;
  int64_t shape[kMaxDims];
  int64_t src_strides[kMaxDims];
  int64_t dst_strides[kMaxDims];
  int64_t src_offset = 0, dst_offset = 0;  // in elements
};

// One parameter tensor of a fused optimizer step, with its state buffers (same size).
struct ParamSlot {
  float* param;
  const float* grad;
  float* buf1;  // SGD momentum buffer / Adam first moment (may be null for plain SGD)
  float* buf2;  // Adam second moment
  int64_t n;
};

struct SgdArgs {
  float lr, momentum, dampening, weight_decay;
  bool nesterov;
  bool first_step;  // PyTorch initialises the momentum buffer with the first gradient
};

struct AdamArgs {
  float lr, beta1, beta2, eps, weight_decay;
  bool decoupled;  // AdamW: decay the weights directly instead of adding wd*p to the gradient
  int64_t step;    // 1-based step count, for bias correction
};

struct WarpArgs {
  int64_t n, c, h, w, oh, ow;
  float fill;  // value of samples that fall outside the source image
};

// A short-time Fourier transform of `batch` signals of `length` samples: frames of n_fft
// samples every hop samples (frames = 1 + length / hop when centred, the signal then being
// reflect-padded by n_fft / 2 on both sides, as torch.stft(center=True, pad_mode="reflect")),
// windowed by a window of n_fft values, bins = n_fft / 2 + 1 one-sided frequencies.
struct StftArgs {
  int64_t batch, length, n_fft, hop, frames, bins;
  bool center;
  // Output layout: [batch, bins, frames] (torch.stft's) or, when set, [batch, frames, bins], the
  // frame-major layout that turns the mel projection into one large GEMM.
  bool frames_major = false;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  virtual std::string name() const = 0;

  // ---- memory ----
  virtual void* alloc(size_t bytes) = 0;  // throws Error(OutOfMemory) on failure
  virtual void free(void* p, size_t bytes) = 0;
  virtual void copy_from_host(void* dst, const void* src, size_t bytes) = 0;
  virtual void copy_to_host(void* dst, const void* src, size_t bytes) = 0;
  virtual void copy_within(void* dst, const void* src, size_t bytes) = 0;
  virtual void synchronize() {}

  // ---- fills, casts, layout ----
  virtual void fill_f32(float* y, int64_t n, float value) = 0;
  virtual void fill_i32(int32_t* y, int64_t n, int32_t value) = 0;
  virtual void arange_f32(float* y, int64_t n, float start, float step) = 0;
  // Any-dtype conversion; uint8 -> float32 multiplies by `scale` (1/255 for images).
  virtual void cast(const void* x, DType from, void* y, DType to, int64_t n, float scale) = 0;
  virtual void strided_copy(const StridedCopyArgs& a, const void* src, void* dst, size_t elem_size) = 0;

  // ---- random (Philox4x32-10, see kernels/philox.h for the stream layout) ----
  virtual void rand_uniform(float* y, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi) = 0;
  virtual void rand_normal(float* y, int64_t n, uint64_t seed, uint64_t offset, float mean, float std) = 0;
  virtual void rand_bernoulli(float* y, int64_t n, uint64_t seed, uint64_t offset, float p) = 0;
  // A permutation of [0, n): the stable argsort of Philox words, identical on every backend.
  virtual void rand_permutation(int32_t* y, int64_t n, uint64_t seed, uint64_t offset) = 0;

  // ---- linear algebra ----
  virtual void gemm(const GemmArgs& a, const float* A, const float* B, float* C) = 0;

  // ---- convolution (NCHW, weight [K, C/groups, R, S]) ----
  virtual void conv2d_forward(const Conv2dArgs& a, const float* x, const float* w, const float* bias,
                              float* y) = 0;  // bias may be null
  virtual void conv2d_backward_input(const Conv2dArgs& a, const float* dy, const float* w, float* dx) = 0;
  virtual void conv2d_backward_weight(const Conv2dArgs& a, const float* x, const float* dy, float* dw) = 0;
  virtual void conv2d_backward_bias(const Conv2dArgs& a, const float* dy, float* db) = 0;

  // ---- a convolution then max pooling (core/conv_pool.h) ----
  // A backend's own kernel for the pair, for the shapes it has one for: returns false, writing
  // nothing, for the caller to run the pair a block of images at a time with the kernels above.
  // The backward gives the parameters' gradients only (the input needs none).
  virtual bool conv2d_maxpool_forward(const Conv2dArgs& conv, const Pool2dArgs& pool, const float* x, const float* w,
                                      const float* bias, float* y, int32_t* indices) {
    return false;
  }
  virtual bool conv2d_maxpool_backward_params(const Conv2dArgs& conv, const Pool2dArgs& pool, const float* dy,
                                              const int32_t* indices, const float* x, float* dw, float* db) {
    return false;
  }

  // ---- pooling ----
  // indices hold the flat h*w position of each maximum inside its (n, c) plane.
  virtual void maxpool2d_forward(const Pool2dArgs& a, const float* x, float* y, int32_t* indices) = 0;
  virtual void maxpool2d_backward(const Pool2dArgs& a, const float* dy, const int32_t* indices, float* dx) = 0;
  virtual void avgpool2d_forward(const Pool2dArgs& a, const float* x, float* y) = 0;
  virtual void avgpool2d_backward(const Pool2dArgs& a, const float* dy, float* dx) = 0;
  // Adaptive average pooling to (oh, ow) with PyTorch's bin edges floor(i*h/oh), ceil((i+1)*h/oh).
  virtual void adaptive_avgpool2d_forward(const Pool2dArgs& a, const float* x, float* y) = 0;
  virtual void adaptive_avgpool2d_backward(const Pool2dArgs& a, const float* dy, float* dx) = 0;

  // ---- batch normalisation ----
  // Training: normalises with batch statistics, saves mean and 1/sqrt(var+eps) for backward and
  // updates the running statistics in place (either may be null to skip).
  virtual void batchnorm_forward_train(const BatchNormArgs& a, const float* x, const float* gamma,
                                       const float* beta, float* y, float* save_mean, float* save_invstd,
                                       float* running_mean, float* running_var) = 0;
  virtual void batchnorm_forward_eval(const BatchNormArgs& a, const float* x, const float* gamma,
                                      const float* beta, const float* running_mean,
                                      const float* running_var, float* y) = 0;
  virtual void batchnorm_backward(const BatchNormArgs& a, const float* x, const float* dy, const float* gamma,
                                  const float* save_mean, const float* save_invstd, float* dx, float* dgamma,
                                  float* dbeta) = 0;

  // ---- elementwise ----
  virtual void unary(UnaryOp op, const float* x, float* y, int64_t n, float alpha, float beta) = 0;
  // dx = dy * f'(x), with y = f(x) given too since some derivatives are cheaper from it.
  virtual void unary_backward(UnaryOp op, const float* x, const float* y, const float* dy, float* dx,
                              int64_t n, float alpha, float beta) = 0;
  virtual void binary(BinaryOp op, const BroadcastArgs& a, const float* x, const float* y, float* out) = 0;
  // out = cond ? a : b, all the same size (the binding expands broadcasts first).
  virtual void where(const uint8_t* cond, const float* a, const float* b, float* out, int64_t n) = 0;

  // ---- reductions over the middle axis of [outer, dim, inner] ----
  virtual void reduce(ReduceOp op, const float* x, float* y, int64_t outer, int64_t dim, int64_t inner) = 0;
  // Index of the maximum (first one on ties) along the middle axis.
  virtual void argmax(const float* x, int32_t* y, int64_t outer, int64_t dim, int64_t inner) = 0;

  // ---- softmax family along the middle axis of [outer, dim, inner] ----
  virtual void softmax(const float* x, float* y, int64_t outer, int64_t dim, int64_t inner, bool log) = 0;
  // dx from y = softmax(x) (or log-softmax when log is set) and dy.
  virtual void softmax_backward(const float* y, const float* dy, float* dx, int64_t outer, int64_t dim,
                                int64_t inner, bool log) = 0;
  // Fused softmax + cross-entropy over [n, c] logits and int32 labels: per-sample losses and the
  // probabilities (kept for backward). Labels were range-checked by the binding.
  virtual void cross_entropy_forward(const float* logits, const int32_t* labels, float* losses, float* probs,
                                     int64_t n, int64_t c, float label_smoothing) = 0;
  // dlogits[i] = dloss[i] * (probs[i] - target[i]) (dloss per sample).
  virtual void cross_entropy_backward(const float* probs, const int32_t* labels, const float* dloss,
                                      float* dlogits, int64_t n, int64_t c, float label_smoothing) = 0;

  // ---- dropout: y = x * mask / (1 - p), mask from Philox (stream as rand_uniform >= p) ----
  virtual void dropout(const float* x, float* y, uint8_t* mask, int64_t n, float p, uint64_t seed,
                       uint64_t offset) = 0;
  virtual void dropout_backward(const float* dy, const uint8_t* mask, float* dx, int64_t n, float p) = 0;

  // ---- indexing ----
  // out[o, j, i] = x[o, idx[j], i] for x viewed as [outer, dim, inner].
  virtual void index_select(const float* x, const int32_t* idx, float* out, int64_t outer, int64_t dim,
                            int64_t inner, int64_t nidx) = 0;
  // dx[o, idx[j], i] += dout[o, j, i] (dx zeroed by the caller when needed).
  virtual void index_add(const float* dout, const int32_t* idx, float* dx, int64_t outer, int64_t dim,
                         int64_t inner, int64_t nidx) = 0;
  // out[o, j, i] = x[o, idx[o, j, i], i]: torch.gather along the middle axis; idx is [outer, nj, inner].
  virtual void gather(const float* x, const int32_t* idx, float* out, int64_t outer, int64_t dim,
                      int64_t inner, int64_t nj) = 0;
  // dx[o, idx[o, j, i], i] += dout[o, j, i].
  virtual void scatter_add(const float* dout, const int32_t* idx, float* dx, int64_t outer, int64_t dim,
                           int64_t inner, int64_t nj) = 0;
  virtual void one_hot(const int32_t* labels, float* out, int64_t n, int64_t classes) = 0;

  // ---- fused optimizer steps over every parameter in one call ----
  virtual void sgd_step(const SgdArgs& a, const ParamSlot* slots, int64_t nslots) = 0;
  virtual void adam_step(const AdamArgs& a, const ParamSlot* slots, int64_t nslots) = 0;

  // ---- k-NN ----
  // d[i, j] = ||a_i - b_j||^2 for a [m, dim], b [n, dim], clamped at 0.
  virtual void pairwise_sqdist(const float* a, const float* b, float* d, int64_t m, int64_t n, int64_t dim) = 0;
  // The k smallest (or largest) values of each row of x [rows, cols], sorted, ties broken by the
  // lower column index.
  virtual void topk(const float* x, float* values, int32_t* indices, int64_t rows, int64_t cols, int64_t k,
                    bool largest) = 0;
  // The k nearest train rows of each query row by exact integer squared Euclidean distance
  // (dim * 255^2 fits in int32), nearest first, equal distances ranked by the lower train index:
  // idx and dist are [m, k]. The result never depends on a.proj_dim.
  virtual void knn_exact(const KnnExactArgs& a, const uint8_t* train, const uint8_t* queries, int32_t* idx,
                         int32_t* dist) = 0;

  // ---- image transforms on NCHW batches (bilinear sampling) ----
  // Each image i has a 3x3 matrix m[9*i..] mapping OUTPUT pixel centres (x, y, 1) to source
  // coordinates (homogeneous); affine warps and rotations are the special case with last row
  // (0, 0, 1). Pixel centres are at integer coordinates.
  virtual void warp_perspective(const WarpArgs& a, const float* x, const float* matrices, float* y) = 0;
  // Bilinear resize with PyTorch's align_corners=False convention.
  virtual void resize_bilinear(const WarpArgs& a, const float* x, float* y) = 0;
  // y = clamp(x * factor[i] + shift[i], lo, hi) per image i.
  virtual void brightness(const float* x, const float* factor, const float* shift, float* y, int64_t n,
                          int64_t per_image, float lo, float hi) = 0;

  // ---- spectral: STFT, mel filter bank, decibels (kernels/spectral_math.h) ----
  // power: y [batch, bins, frames] = |X|^2; otherwise y [batch, bins, frames, 2] = (re, im) of X,
  // the layout of torch.view_as_real(torch.stft(..., return_complex=True)).
  virtual void stft(const StftArgs& a, const float* x, const float* window, float* y, bool power) = 0;
  // fb [n_freqs, n_mels] = torchaudio.functional.melscale_fbanks(..., norm=None, mel_scale="htk").
  virtual void mel_filterbank(float* fb, int64_t n_freqs, int64_t n_mels, double sample_rate, double f_min,
                              double f_max) = 0;
  // y = 10 log10(max(x, amin)) over [batch, per_item]; when top_db > 0, each item is then floored
  // at its own maximum minus top_db.
  virtual void power_to_db(const float* x, float* y, int64_t batch, int64_t per_item, float amin, float top_db) = 0;
};

// The process-wide CPU backend.
Backend& cpu_backend();
// The CUDA backend, or nullptr when this build has none; `reason` says why it is unavailable.
Backend* cuda_backend(std::string* reason);

}  // namespace nn
