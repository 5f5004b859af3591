// Ops not yet implemented on the CUDA backend: each throws a Device error naming itself.
#include "../native/core/error.h"
#include "cuda_backend.h"

namespace nn {

#define NN_CUDA_MISSING(op) fail(ErrorCode::Device, "cuda: " op " is not available in this build yet")

void CudaBackend::gemm(const GemmArgs& a, const float* A, const float* B, float* C) { NN_CUDA_MISSING("gemm"); }
void CudaBackend::conv2d_forward(const Conv2dArgs& a, const float* x, const float* w, const float* bias, float* y) { NN_CUDA_MISSING("conv2d_forward"); }
void CudaBackend::conv2d_backward_input(const Conv2dArgs& a, const float* dy, const float* w, float* dx) { NN_CUDA_MISSING("conv2d_backward_input"); }
void CudaBackend::conv2d_backward_weight(const Conv2dArgs& a, const float* x, const float* dy, float* dw) { NN_CUDA_MISSING("conv2d_backward_weight"); }
void CudaBackend::conv2d_backward_bias(const Conv2dArgs& a, const float* dy, float* db) { NN_CUDA_MISSING("conv2d_backward_bias"); }
void CudaBackend::maxpool2d_forward(const Pool2dArgs& a, const float* x, float* y, int32_t* indices) { NN_CUDA_MISSING("maxpool2d_forward"); }
void CudaBackend::maxpool2d_backward(const Pool2dArgs& a, const float* dy, const int32_t* indices, float* dx) { NN_CUDA_MISSING("maxpool2d_backward"); }
void CudaBackend::avgpool2d_forward(const Pool2dArgs& a, const float* x, float* y) { NN_CUDA_MISSING("avgpool2d_forward"); }
void CudaBackend::avgpool2d_backward(const Pool2dArgs& a, const float* dy, float* dx) { NN_CUDA_MISSING("avgpool2d_backward"); }
void CudaBackend::adaptive_avgpool2d_forward(const Pool2dArgs& a, const float* x, float* y) { NN_CUDA_MISSING("adaptive_avgpool2d_forward"); }
void CudaBackend::adaptive_avgpool2d_backward(const Pool2dArgs& a, const float* dy, float* dx) { NN_CUDA_MISSING("adaptive_avgpool2d_backward"); }
void CudaBackend::batchnorm_forward_train(const BatchNormArgs& a, const float* x, const float* gamma, const float* beta, float* y, float* save_mean, float* save_invstd, float* running_mean, float* running_var) { NN_CUDA_MISSING("batchnorm_forward_train"); }
void CudaBackend::batchnorm_forward_eval(const BatchNormArgs& a, const float* x, const float* gamma, const float* beta, const float* running_mean, const float* running_var, float* y) { NN_CUDA_MISSING("batchnorm_forward_eval"); }
void CudaBackend::batchnorm_backward(const BatchNormArgs& a, const float* x, const float* dy, const float* gamma, const float* save_mean, const float* save_invstd, float* dx, float* dgamma, float* dbeta) { NN_CUDA_MISSING("batchnorm_backward"); }
void CudaBackend::reduce(ReduceOp op, const float* x, float* y, int64_t outer, int64_t dim, int64_t inner) { NN_CUDA_MISSING("reduce"); }
void CudaBackend::argmax(const float* x, int32_t* y, int64_t outer, int64_t dim, int64_t inner) { NN_CUDA_MISSING("argmax"); }
void CudaBackend::softmax(const float* x, float* y, int64_t outer, int64_t dim, int64_t inner, bool log) { NN_CUDA_MISSING("softmax"); }
void CudaBackend::softmax_backward(const float* y, const float* dy, float* dx, int64_t outer, int64_t dim, int64_t inner, bool log) { NN_CUDA_MISSING("softmax_backward"); }
void CudaBackend::cross_entropy_forward(const float* logits, const int32_t* labels, float* losses, float* probs, int64_t n, int64_t c, float label_smoothing) { NN_CUDA_MISSING("cross_entropy_forward"); }
void CudaBackend::cross_entropy_backward(const float* probs, const int32_t* labels, const float* dloss, float* dlogits, int64_t n, int64_t c, float label_smoothing) { NN_CUDA_MISSING("cross_entropy_backward"); }
void CudaBackend::index_select(const float* x, const int32_t* idx, float* out, int64_t outer, int64_t dim, int64_t inner, int64_t nidx) { NN_CUDA_MISSING("index_select"); }
void CudaBackend::index_add(const float* dout, const int32_t* idx, float* dx, int64_t outer, int64_t dim, int64_t inner, int64_t nidx) { NN_CUDA_MISSING("index_add"); }
void CudaBackend::gather(const float* x, const int32_t* idx, float* out, int64_t outer, int64_t dim, int64_t inner, int64_t nj) { NN_CUDA_MISSING("gather"); }
void CudaBackend::scatter_add(const float* dout, const int32_t* idx, float* dx, int64_t outer, int64_t dim, int64_t inner, int64_t nj) { NN_CUDA_MISSING("scatter_add"); }
void CudaBackend::sgd_step(const SgdArgs& a, const ParamSlot* slots, int64_t nslots) { NN_CUDA_MISSING("sgd_step"); }
void CudaBackend::adam_step(const AdamArgs& a, const ParamSlot* slots, int64_t nslots) { NN_CUDA_MISSING("adam_step"); }
void CudaBackend::pairwise_sqdist(const float* a, const float* b, float* d, int64_t m, int64_t n, int64_t dim) { NN_CUDA_MISSING("pairwise_sqdist"); }
void CudaBackend::topk(const float* x, float* values, int32_t* indices, int64_t rows, int64_t cols, int64_t k, bool largest) { NN_CUDA_MISSING("topk"); }
void CudaBackend::warp_perspective(const WarpArgs& a, const float* x, const float* matrices, float* y) { NN_CUDA_MISSING("warp_perspective"); }
void CudaBackend::resize_bilinear(const WarpArgs& a, const float* x, float* y) { NN_CUDA_MISSING("resize_bilinear"); }
void CudaBackend::brightness(const float* x, const float* factor, const float* shift, float* y, int64_t n, int64_t per_image, float lo, float hi) { NN_CUDA_MISSING("brightness"); }

}  // namespace nn
