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
#include <utility>
#include <vector>

#include "core/dtype.h"
#include "kernels/linear.h"
#include "kernels/ops.h"

namespace nn {

struct GemmArgs {
  bool trans_a = false, trans_b = false;  // C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C
  int64_t m = 0, n = 0, k = 0;
  float alpha = 1.f, beta = 0.f;
  int64_t lda = 0, ldb = 0, ldc = 0;  // leading dimensions (row strides) of A, B, C as stored
  int64_t batch = 1;                  // batched form: matrices at A + i*stride_a, ...
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
  int64_t n, c, h, w;  // input
  int64_t k, r, s;     // output channels, kernel height/width; weight is [k, c/groups, r, s]
  int64_t stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups;
  int64_t oh, ow;  // output spatial size, computed by the binding
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

// What memory_stats reports. has_arena is false where the backend keeps no arena (or could not
// reserve one); the arena figures are then 0.
struct MemoryStats {
  size_t cached_bytes = 0;
  bool has_arena = false;
  size_t arena_used = 0, arena_peak_used = 0, arena_carved = 0;
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

  // ---- memory statistics: bytes a backend keeps cached for reuse, and its large-buffer arena ----
  virtual MemoryStats memory_stats(bool reset_peak) = 0;
  // Gives the cached buffers back to the system (or the driver).
  virtual void release_cache() = 0;

  // ---- the kernels: one pure virtual method per NN_KERNEL line of ops.def ----
#define NN_KERNEL(ret, name, params) virtual ret name params = 0;
#include "ops.def"

  // ---- a convolution then max pooling (core/conv_pool.h) ----
  // A backend's own kernel for the pair, for the shapes it has one for: returns false, writing
  // nothing, for the caller to run the pair a block of images at a time with the kernels above.
  // The backward gives the parameters' gradients only (the input needs none). The forward's
  // indices may be null (no gradient will be taken), and relu asks for relu of the pooled values;
  // the backward's relu_y, when not null, is that forward's output: a pooled gradient then counts
  // only where relu's backward passes it (relu_y > 0 or NaN).
  virtual bool conv2d_maxpool_forward(const Conv2dArgs& conv, const Pool2dArgs& pool, const float* x, const float* w,
                                      const float* bias, float* y, int32_t* indices, bool relu) {
    return false;
  }

  virtual bool conv2d_maxpool_backward_params(const Conv2dArgs& conv, const Pool2dArgs& pool, const float* dy,
                                              const float* relu_y, const int32_t* indices, const float* x, float* dw,
                                              float* db) {
    return false;
  }

  // The backward with the input's gradient too (dx not null), as the backend's own pass over
  // the whole batch: false leaves it to the caller's blocks.
  virtual bool conv2d_maxpool_backward_all(const Conv2dArgs& conv, const Pool2dArgs& pool, const float* dy,
                                           const int32_t* indices, const float* x, const float* w, float* dx, float* dw,
                                           float* db) {
    return false;
  }

  // The forward without indices (no gradient will be taken), relu of the pooled values when asked,
  // by the backend's own kernels that pool the convolution's output as it is made (where the
  // backend's conv2d_maxpool_forward above has none): false, writing nothing, for the blocks.
  virtual bool conv2d_maxpool_forward_values(const Conv2dArgs& conv, const Pool2dArgs& pool, const float* x,
                                             const float* w, const float* bias, float* y, bool relu) {
    return false;
  }

  // Max pooling's values alone (a conv2d_maxpool_forward block without indices), then relu when
  // asked: false, writing nothing, where the backend has no such kernel for these shapes (the
  // caller then pools with indices into scratch and runs relu apart).
  virtual bool maxpool2d_forward_values(const Pool2dArgs& a, const float* x, float* y, bool relu) { return false; }
};

// The process-wide CPU backend.
Backend& cpu_backend();
// The SIMD kernels the CPU backend runs: "avx512", "avx2" or "generic" (after NNLAB_DISABLE_*).
const char* cpu_kernel_isa();
// (variable, effective value) of every NNLAB_* switch the native core reads (core/flags.h).
std::vector<std::pair<std::string, std::string>> flag_report();
// The CPU backend's convolution algorithms, in the order it tries them (NNLAB_CONV_ALGO names),
// with how often each ran per pass in this process.
struct ConvAlgorithmRuns {
  const char* name;
  uint64_t forward, backward_input, backward_weight;
};
std::vector<ConvAlgorithmRuns> cpu_conv_algorithms();
// The CUDA backend, or nullptr when this build has none; `reason` says why it is unavailable.
Backend* cuda_backend(std::string* reason);

}  // namespace nn
