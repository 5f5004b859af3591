// Entry points of 2-D pooling (max with indices, average, adaptive average) and their
// backward passes. Inputs are NCHW; windows follow PyTorch with ceil_mode = false.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "../core/thread_pool.h"
#include "../kernels/pool.h"
#include "args.h"
#include "js_functions.h"
#include "pool_args.h"
#include "errors.h"

namespace nn::binding {
namespace {

constexpr int64_t kMaxExtent = int64_t(1) << 31;

}  // namespace

void require_nchw(const char* op, const char* name, const Shape& s) {
  if (s.size() != 4) fail(ErrorCode::Shape, op, ": '", name, "' must be 4-D (N, C, H, W), got shape ", shape_str(s));
  if (s[2] < 1 || s[3] < 1)
    fail(ErrorCode::Shape, op, ": '", name, "' ", shape_str(s), " has an empty spatial dimension");
  // Max-pool indices are int32 positions inside a plane.
  if (s[2] * s[3] > INT32_MAX)
    fail(ErrorCode::Shape, op, ": '", name, "' ", shape_str(s), " has planes of more than 2^31-1 elements");
}

// The input's extents, after checking that xs is a pooling input.
Pool2dArgs input_args(const Args& a, const char* xname, const Shape& xs) {
  require_nchw(a.op, xname, xs);
  Pool2dArgs p{};
  p.n = xs[0];
  p.c = xs[1];
  p.h = xs[2];
  p.w = xs[3];
  return p;
}

// kernelH, kernelW, strideH, strideW, padH, padW from argument i0, checked against input xs.
Pool2dArgs pool_args(const Args& a, size_t i0, const char* xname, const Shape& xs) {
  Pool2dArgs p = input_args(a, xname, xs);
  p.kh = a.integer(i0 + 0, "kernelH", 1, kMaxExtent);
  p.kw = a.integer(i0 + 1, "kernelW", 1, kMaxExtent);
  p.stride_h = a.integer(i0 + 2, "strideH", 1, kMaxExtent);
  p.stride_w = a.integer(i0 + 3, "strideW", 1, kMaxExtent);
  p.pad_h = a.integer(i0 + 4, "padH", 0, kMaxExtent);
  p.pad_w = a.integer(i0 + 5, "padW", 0, kMaxExtent);
  // As in PyTorch: more padding would allow windows made only of padding.
  if (2 * p.pad_h > p.kh || 2 * p.pad_w > p.kw)
    fail(ErrorCode::Argument, a.op, ": padding ", p.pad_h, "x", p.pad_w, " must be at most half of the kernel ", p.kh,
         "x", p.kw);
  if (p.kh > p.h + 2 * p.pad_h || p.kw > p.w + 2 * p.pad_w)
    fail(ErrorCode::Shape, a.op, ": kernel ", p.kh, "x", p.kw, " is larger than the padded input ", p.h + 2 * p.pad_h,
         "x", p.w + 2 * p.pad_w, " of '", xname, "' ", shape_str(xs), " (padding ", p.pad_h, "x", p.pad_w, ")");
  p.oh = pool_out_size(p.h, p.kh, p.stride_h, p.pad_h);
  p.ow = pool_out_size(p.w, p.kw, p.stride_w, p.pad_w);
  return p;
}

// Indices come from the caller: one out of its plane would make the backward write outside dx.
void check_pool_indices(const Args& a, const Tensor& idx, const Pool2dArgs& p, const Shape& xs) {
  const int64_t plane = p.h * p.w;
  std::vector<int32_t> host;
  const int32_t* iv = idx.i32();
  if (idx.device() != Device::CPU) {
    host.resize(static_cast<size_t>(idx.numel()));
    idx.backend().copy_to_host(host.data(), idx.storage->data, idx.nbytes());
    iv = host.data();
  }
  // One branch-free unsigned compare per element (0 <= v < plane as uint32 v < plane), OR-ed per
  // thread: it vectorises on the base ISA (a signed min and max sweep needed SSE4.1's pminsd and
  // cost a fifth of the seed CNN's conv1 pool backward). The offending element is looked up only
  // on failure.
  const int64_t count = idx.numel();
  const uint32_t bound = plane > INT32_MAX ? uint32_t(1) << 31 : static_cast<uint32_t>(plane);
  std::atomic<bool> outside{false};
  parallel_for(count, int64_t(1) << 16, [&](int64_t b, int64_t e) {
    uint32_t any = 0;
    for (int64_t i = b; i < e; ++i) any |= static_cast<uint32_t>(iv[i]) >= bound;
    if (any) outside.store(true);
  });
  if (outside.load())
    for (int64_t i = 0; i < count; ++i)
      if (iv[i] < 0 || iv[i] >= plane)
        fail(ErrorCode::Index, a.op, ": 'indices' element ", i, " is ", iv[i], ", outside the ", p.h, "x", p.w,
             " plane of input ", shape_str(xs), " (expected 0 <= index < ", plane, ")");
}

namespace js_pool {

Shape out_shape(const Pool2dArgs& p) { return {p.n, p.c, p.oh, p.ow}; }

void require_dy(const char* op, const Tensor& dy, const Pool2dArgs& p) {
  Shape want = out_shape(p);
  if (dy.shape != want)
    fail(ErrorCode::Shape, op, ": 'dy' must have the pooled shape ", shape_str(want), " of input ",
         shape_str({p.n, p.c, p.h, p.w}), ", got ", shape_str(dy.shape));
}

// The forward and backward passes of the average pools: one backend kernel each.
using PoolKernel = void (Backend::*)(const Pool2dArgs&, const float*, float*);
Napi::Value pooled(const Args& a, const Tensor& x, const Pool2dArgs& p, PoolKernel kernel) {
  return output_of(a, x, out_shape(p), DType::F32, [&](Tensor& y) { (x.backend().*kernel)(p, x.f32(), y.f32()); });
}
Napi::Value unpooled(const Args& a, const Tensor& dy, const Shape& xs, const Pool2dArgs& p, PoolKernel kernel) {
  return gradient_or_zeros(a, dy, xs, [&](Tensor& dx) { (dy.backend().*kernel)(p, dy.f32(), dx.f32()); });
}

bool read_count_include_pad(const Args& a, size_t i) { return a.has(i) ? a.boolean(i, "countIncludePad") : true; }

// maxPool2d(x, kernelH, kernelW, strideH, strideW, padH, padW) -> [y, indices (int32)]
Napi::Value max_pool2d(const Napi::CallbackInfo& info) {
  Args a{info, "maxPool2d"};
  const Tensor& x = a.tensor(0, "x", DType::F32);
  Pool2dArgs p = pool_args(a, 1, "x", x.shape);
  Tensor y = empty(x.backend(), out_shape(p), DType::F32);
  Tensor idx = empty(x.backend(), out_shape(p), DType::I32);
  if (y.numel() > 0) x.backend().maxpool2d_forward(p, x.f32(), y.f32(), idx.i32());
  return wrap_all(a.env(), {y, idx});
}

// maxPool2dBackward(dy, indices, inputShape, kernelH, kernelW, strideH, strideW, padH, padW) -> dx
Napi::Value max_pool2d_backward(const Napi::CallbackInfo& info) {
  Args a{info, "maxPool2dBackward"};
  const Tensor& dy = a.tensor(0, "dy", DType::F32);
  const Tensor& idx = a.tensor(1, "indices", DType::I32);
  Shape xs = a.shape(2, "inputShape");
  Pool2dArgs p = pool_args(a, 3, "inputShape", xs);
  require_same_device(a.op, {&dy, &idx});
  require_dy(a.op, dy, p);
  if (idx.shape != dy.shape)
    fail(ErrorCode::Shape, a.op, ": 'indices' ", shape_str(idx.shape), " must have the shape of 'dy' ",
         shape_str(dy.shape));
  check_pool_indices(a, idx, p, xs);
  return gradient_or_zeros(a, dy, xs,
                           [&](Tensor& dx) { dy.backend().maxpool2d_backward(p, dy.f32(), idx.i32(), dx.f32()); });
}

// avgPool2d(x, kernelH, kernelW, strideH, strideW, padH, padW, countIncludePad = true) -> y
Napi::Value avg_pool2d(const Napi::CallbackInfo& info) {
  Args a{info, "avgPool2d"};
  const Tensor& x = a.tensor(0, "x", DType::F32);
  Pool2dArgs p = pool_args(a, 1, "x", x.shape);
  p.count_include_pad = read_count_include_pad(a, 7);
  return pooled(a, x, p, &Backend::avgpool2d_forward);
}

// avgPool2dBackward(dy, inputShape, kernelH, kernelW, strideH, strideW, padH, padW, countIncludePad = true)
Napi::Value avg_pool2d_backward(const Napi::CallbackInfo& info) {
  Args a{info, "avgPool2dBackward"};
  const Tensor& dy = a.tensor(0, "dy", DType::F32);
  Shape xs = a.shape(1, "inputShape");
  Pool2dArgs p = pool_args(a, 2, "inputShape", xs);
  p.count_include_pad = read_count_include_pad(a, 8);
  require_dy(a.op, dy, p);
  return unpooled(a, dy, xs, p, &Backend::avgpool2d_backward);
}

Pool2dArgs adaptive_args(const Args& a, const char* xname, const Shape& xs, int64_t oh, int64_t ow) {
  Pool2dArgs p = input_args(a, xname, xs);
  p.oh = oh;
  p.ow = ow;
  return p;
}

// adaptiveAvgPool2d(x, outH, outW) -> y [N, C, outH, outW]
Napi::Value adaptive_avg_pool2d(const Napi::CallbackInfo& info) {
  Args a{info, "adaptiveAvgPool2d"};
  const Tensor& x = a.tensor(0, "x", DType::F32);
  int64_t oh = a.integer(1, "outH", 1, kMaxExtent), ow = a.integer(2, "outW", 1, kMaxExtent);
  Pool2dArgs p = adaptive_args(a, "x", x.shape, oh, ow);
  return pooled(a, x, p, &Backend::adaptive_avgpool2d_forward);
}

// adaptiveAvgPool2dBackward(dy, inputShape) -> dx; the output size is read from dy.
Napi::Value adaptive_avg_pool2d_backward(const Napi::CallbackInfo& info) {
  Args a{info, "adaptiveAvgPool2dBackward"};
  const Tensor& dy = a.tensor(0, "dy", DType::F32);
  Shape xs = a.shape(1, "inputShape");
  require_nchw(a.op, "inputShape", xs);
  if (dy.dim() != 4 || dy.shape[0] != xs[0] || dy.shape[1] != xs[1] || dy.shape[2] < 1 || dy.shape[3] < 1)
    fail(ErrorCode::Shape, a.op, ": 'dy' must be [", xs[0], ", ", xs[1],
         ", outH, outW] with outH, outW >= 1 for input ", shape_str(xs), ", got ", shape_str(dy.shape));
  Pool2dArgs p = adaptive_args(a, "inputShape", xs, dy.shape[2], dy.shape[3]);
  return unpooled(a, dy, xs, p, &Backend::adaptive_avgpool2d_backward);
}

}  // namespace js_pool

}  // namespace nn::binding
