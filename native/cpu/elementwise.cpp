#include "cpu_backend.h"
#include "../core/error.h"

namespace nn {

void CpuBackend::unary(UnaryOp op, const float* x, float* y, int64_t n, float alpha, float beta) {
  fail(ErrorCode::Internal, "cpu: unary is being written");
}

void CpuBackend::unary_backward(UnaryOp op, const float* x, const float* y, const float* dy, float* dx, int64_t n, float alpha, float beta) {
  fail(ErrorCode::Internal, "cpu: unary_backward is being written");
}

void CpuBackend::binary(BinaryOp op, const BroadcastArgs& a, const float* x, const float* y, float* out) {
  fail(ErrorCode::Internal, "cpu: binary is being written");
}

void CpuBackend::where(const uint8_t* cond, const float* a, const float* b, float* out, int64_t n) {
  fail(ErrorCode::Internal, "cpu: where is being written");
}

}  // namespace nn
