// The CUDA backend. Its methods are defined across cuda/*.cu, one file per op family: memory.cu
// (memory, fills, casts, strided copy, Philox, dropout, one-hot), elementwise.cu, reduce.cu
// (reductions, softmax, cross-entropy), gemm.cu, conv.cu, pool.cu, batchnorm.cu, indexing.cu
// (index ops, fused optimizer steps, k-NN), image.cu; kernel bodies live in cuda/kernels/*.cuh. The same sources build
// with nvcc for real GPUs and with g++ over the simulator in cuda/sim/ (NNLAB_CUDA_SIM).
// Pointers passed to these methods are device pointers; host arrays (ParamSlot lists, ...) are
// copied to the device or read on the host as the method says.
#pragma once
#include <cstddef>
#include <cstdint>

#include "../native/backend.h"

namespace nn {

class CudaBackend final : public Backend {
 public:
  Device device() const override;
  std::string name() const override;
  void* alloc(size_t bytes) override;
  void free(void* p, size_t bytes) override;
  void copy_from_host(void* dst, const void* src, size_t bytes) override;
  void copy_to_host(void* dst, const void* src, size_t bytes) override;
  void copy_within(void* dst, const void* src, size_t bytes) override;
  void fill_f32(float* y, int64_t n, float value) override;
  void fill_i32(int32_t* y, int64_t n, int32_t value) override;
  void arange_f32(float* y, int64_t n, float start, float step) override;
  void cast(const void* x, DType from, void* y, DType to, int64_t n, float scale) override;
  void strided_copy(const StridedCopyArgs& a, const void* src, void* dst, size_t elem_size) override;
  void rand_uniform(float* y, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi) override;
  void rand_normal(float* y, int64_t n, uint64_t seed, uint64_t offset, float mean, float std) override;
  void rand_bernoulli(float* y, int64_t n, uint64_t seed, uint64_t offset, float p) override;
  void rand_permutation(int32_t* y, int64_t n, uint64_t seed, uint64_t offset) override;
  void gemm(const GemmArgs& a, const float* A, const float* B, float* C) override;
  void conv2d_forward(const Conv2dArgs& a, const float* x, const float* w, const float* bias, float* y) override;
  void conv2d_backward_input(const Conv2dArgs& a, const float* dy, const float* w, float* dx) override;
  void conv2d_backward_weight(const Conv2dArgs& a, const float* x, const float* dy, float* dw) override;
  void conv2d_backward_bias(const Conv2dArgs& a, const float* dy, float* db) override;
  void maxpool2d_forward(const Pool2dArgs& a, const float* x, float* y, int32_t* indices) override;
  void maxpool2d_backward(const Pool2dArgs& a, const float* dy, const int32_t* indices, float* dx) override;
  void avgpool2d_forward(const Pool2dArgs& a, const float* x, float* y) override;
  void avgpool2d_backward(const Pool2dArgs& a, const float* dy, float* dx) override;
  void adaptive_avgpool2d_forward(const Pool2dArgs& a, const float* x, float* y) override;
  void adaptive_avgpool2d_backward(const Pool2dArgs& a, const float* dy, float* dx) override;
  void batchnorm_forward_train(const BatchNormArgs& a, const float* x, const float* gamma, const float* beta, float* y, float* save_mean, float* save_invstd, float* running_mean, float* running_var) override;
  void batchnorm_forward_eval(const BatchNormArgs& a, const float* x, const float* gamma, const float* beta, const float* running_mean, const float* running_var, float* y) override;
  void batchnorm_backward(const BatchNormArgs& a, const float* x, const float* dy, const float* gamma, const float* save_mean, const float* save_invstd, float* dx, float* dgamma, float* dbeta) override;
  void unary(UnaryOp op, const float* x, float* y, int64_t n, float alpha, float beta) override;
  void unary_backward(UnaryOp op, const float* x, const float* y, const float* dy, float* dx, int64_t n, float alpha, float beta) override;
  void binary(BinaryOp op, const BroadcastArgs& a, const float* x, const float* y, float* out) override;
  void where(const uint8_t* cond, const float* a, const float* b, float* out, int64_t n) override;
  void reduce(ReduceOp op, const float* x, float* y, int64_t outer, int64_t dim, int64_t inner) override;
  void argmax(const float* x, int32_t* y, int64_t outer, int64_t dim, int64_t inner) override;
  void softmax(const float* x, float* y, int64_t outer, int64_t dim, int64_t inner, bool log) override;
  void softmax_backward(const float* y, const float* dy, float* dx, int64_t outer, int64_t dim, int64_t inner, bool log) override;
  void cross_entropy_forward(const float* logits, const int32_t* labels, float* losses, float* probs, int64_t n, int64_t c, float label_smoothing) override;
  void cross_entropy_backward(const float* probs, const int32_t* labels, const float* dloss, float* dlogits, int64_t n, int64_t c, float label_smoothing) override;
  void dropout(const float* x, float* y, uint8_t* mask, int64_t n, float p, uint64_t seed, uint64_t offset) override;
  void dropout_backward(const float* dy, const uint8_t* mask, float* dx, int64_t n, float p) override;
  void index_select(const float* x, const int32_t* idx, float* out, int64_t outer, int64_t dim, int64_t inner, int64_t nidx) override;
  void index_add(const float* dout, const int32_t* idx, float* dx, int64_t outer, int64_t dim, int64_t inner, int64_t nidx) override;
  void gather(const float* x, const int32_t* idx, float* out, int64_t outer, int64_t dim, int64_t inner, int64_t nj) override;
  void scatter_add(const float* dout, const int32_t* idx, float* dx, int64_t outer, int64_t dim, int64_t inner, int64_t nj) override;
  void one_hot(const int32_t* labels, float* out, int64_t n, int64_t classes) override;
  void sgd_step(const SgdArgs& a, const ParamSlot* slots, int64_t nslots) override;
  void adam_step(const AdamArgs& a, const ParamSlot* slots, int64_t nslots) override;
  void pairwise_sqdist(const float* a, const float* b, float* d, int64_t m, int64_t n, int64_t dim) override;
  void topk(const float* x, float* values, int32_t* indices, int64_t rows, int64_t cols, int64_t k, bool largest) override;
  void knn_exact(const KnnExactArgs& a, const uint8_t* train, const uint8_t* queries, int32_t* idx, int32_t* dist) override;
  void warp_perspective(const WarpArgs& a, const float* x, const float* matrices, float* y) override;
  void resize_bilinear(const WarpArgs& a, const float* x, float* y) override;
  void brightness(const float* x, const float* factor, const float* shift, float* y, int64_t n, int64_t per_image, float lo, float hi) override;
  void stft(const StftArgs& a, const float* x, const float* window, float* y, bool power) override;
  void mel_filterbank(float* fb, int64_t n_freqs, int64_t n_mels, double sample_rate, double f_min, double f_max) override;
  void power_to_db(const float* x, float* y, int64_t batch, int64_t per_item, float amin, float top_db) override;
  void synchronize() override;

  // Scratch device memory for the duration of one op (from the caching allocator).
  struct Scratch {
    Scratch(CudaBackend& b, size_t bytes) : b_(b), bytes_(bytes), p_(b.alloc(bytes ? bytes : 4)) {}
    ~Scratch() { b_.free(p_, bytes_ ? bytes_ : 4); }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    template <typename T>
    T* as() const { return static_cast<T*>(p_); }

   private:
    CudaBackend& b_;
    size_t bytes_;
    void* p_;
  };
};

namespace cuda {
// Raw device allocation and release under the caching allocator (memory.cu).
void* raw_alloc(size_t bytes);  // nullptr when the device is out of memory
void raw_free(void* p);
// Bytes held by the caching allocator, and its release (tests, memory pressure).
size_t cached_bytes();
// C = alpha * op(A) * op(B) + beta * C on the device (gemm.cu), for the ops built on GEMM.
void launch_gemm(const GemmArgs& g, const float* A, const float* B, float* C);
void release_cache();
}  // namespace cuda

}  // namespace nn
