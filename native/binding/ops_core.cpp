// Entry points for creating tensors, moving data in and out, layout copies, casts, random
// fills and runtime settings.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "../core/thread_pool.h"
#include "../kernels/philox.h"
#include "args.h"
#include "js_functions.h"
#include "device.h"
#include "errors.h"
#include "tensor_handle.h"

namespace nn::binding {
namespace js_core {

DType parse_dtype(const std::string& s, const char* op) {
  if (s == "float32") return DType::F32;
  if (s == "int32") return DType::I32;
  if (s == "uint8") return DType::U8;
  fail(ErrorCode::DType, op, ": unknown dtype '", s, "' (expected float32, int32 or uint8)");
}

// fromTypedArray(array, shape, device): copies a Float32Array / Int32Array / Uint8Array in.
Napi::Value from_typed_array(const Napi::CallbackInfo& info) {
  Args a{info, "fromTypedArray"};
  if (!info[0].IsTypedArray())
    fail(ErrorCode::Argument, a.op, ": 'data' must be a Float32Array, Int32Array or Uint8Array");
  Napi::TypedArray arr = info[0].As<Napi::TypedArray>();
  DType dt;
  switch (arr.TypedArrayType()) {
    case napi_float32_array:
      dt = DType::F32;
      break;
    case napi_int32_array:
      dt = DType::I32;
      break;
    case napi_uint8_array:
    case napi_uint8_clamped_array:
      dt = DType::U8;
      break;
    default:
      fail(ErrorCode::DType, a.op, ": 'data' must be a Float32Array, Int32Array or Uint8Array");
  }
  Shape shape = a.shape(1, "shape");
  if (numel(shape) != static_cast<int64_t>(arr.ElementLength()))
    fail(ErrorCode::Shape, a.op, ": shape ", shape_str(shape), " needs ", numel(shape), " elements but the array has ",
         arr.ElementLength());
  Backend& b = backend_for(a.has(2) ? a.string(2, "device") : "cpu", a.op);
  Tensor t = empty(b, shape, dt);
  const uint8_t* src = static_cast<const uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
  b.copy_from_host(t.storage->data, src, t.nbytes());
  return wrap(a.env(), std::move(t));
}

// toTypedArray(t): a new typed array holding a copy of the data.
Napi::Value to_typed_array(const Napi::CallbackInfo& info) {
  Args a{info, "toTypedArray"};
  const Tensor& t = a.tensor(0, "tensor");
  size_t bytes = t.nbytes();
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(a.env(), bytes);
  if (bytes) t.backend().copy_to_host(buf.Data(), t.storage->data, bytes);
  size_t n = static_cast<size_t>(t.numel());
  switch (t.dtype) {
    case DType::F32:
      return Napi::Float32Array::New(a.env(), n, buf, 0);
    case DType::I32:
      return Napi::Int32Array::New(a.env(), n, buf, 0);
    case DType::U8:
      return Napi::Uint8Array::New(a.env(), n, buf, 0);
  }
  return a.env().Undefined();
}

// full(shape, value, dtype, device)
Napi::Value full(const Napi::CallbackInfo& info) {
  Args a{info, "full"};
  Shape shape = a.shape(0, "shape");
  double v = a.number(1, "value");
  DType dt = parse_dtype(a.string(2, "dtype"), a.op);
  Backend& b = backend_for(a.string(3, "device"), a.op);
  Tensor t = empty(b, shape, dt);
  switch (dt) {
    case DType::F32:
      b.fill_f32(t.f32(), t.numel(), static_cast<float>(v));
      break;
    case DType::I32:
      if (v != std::floor(v) || std::fabs(v) > 2147483647.0)
        fail(ErrorCode::Argument, a.op, ": value ", v, " is not an int32");
      b.fill_i32(t.i32(), t.numel(), static_cast<int32_t>(v));
      break;
    case DType::U8: {
      if (v != std::floor(v) || v < 0 || v > 255) fail(ErrorCode::Argument, a.op, ": value ", v, " is not a uint8");
      // Through one host block of at most 1 MiB, copied as often as needed: a host copy of the
      // tensor's size would page in as much fresh memory again.
      const size_t total = t.nbytes();
      std::vector<uint8_t> host(std::min<size_t>(total, size_t{1} << 20), static_cast<uint8_t>(v));
      auto* dst = static_cast<uint8_t*>(t.storage->data);
      for (size_t off = 0; off < total; off += host.size())
        b.copy_from_host(dst + off, host.data(), std::min(host.size(), total - off));
      break;
    }
  }
  return wrap(a.env(), std::move(t));
}

// A new [n] tensor of `dtype` on the device that argument 3 names, written by fill(backend, t).
template <class Fill>
Napi::Value new_vector(const Args& a, int64_t n, DType dtype, Fill&& fill) {
  Backend& b = backend_for(a.string(3, "device"), a.op);
  Tensor t = empty(b, {n}, dtype);
  fill(b, t);
  return wrap(a.env(), std::move(t));
}

// arange(n, start, step, device) -> float32 [n]
Napi::Value arange(const Napi::CallbackInfo& info) {
  Args a{info, "arange"};
  return new_vector(a, a.integer(0, "n", 0, int64_t(1) << 40), DType::F32, [&](Backend& b, Tensor& t) {
    b.arange_f32(t.f32(), t.numel(), a.f32(1, "start"), a.f32(2, "step"));
  });
}

// reshape(t, shape): shares storage.
Napi::Value reshape(const Napi::CallbackInfo& info) {
  Args a{info, "reshape"};
  const Tensor& t = a.tensor(0, "tensor");
  return wrap(a.env(), reshaped(t, a.shape(1, "shape")));
}

// A copy of t with its own storage.
Tensor copy_of(const Tensor& t) {
  Tensor out = empty_like(t);
  t.backend().copy_within(out.storage->data, t.storage->data, t.nbytes());
  return out;
}

// clone(t): a copy with its own storage.
Napi::Value clone(const Napi::CallbackInfo& info) {
  Args a{info, "clone"};
  const Tensor& t = a.tensor(0, "tensor");
  return wrap(a.env(), copy_of(t));
}

// takeOrClone(t, adopt = false): t's values in storage no other tensor uses. When t is the only
// tensor on its storage the new handle shares it (no copy) and the caller disposes t straight
// after, or with `adopt` t itself comes back (the caller keeps t: no new handle); otherwise (a
// reshape of t is alive elsewhere) a copy. Autograd hands a leaf its gradient this way, saving a
// copy of every parameter's gradient per step.
Napi::Value take_or_clone(const Napi::CallbackInfo& info) {
  Args a{info, "takeOrClone"};
  const Tensor& t = a.tensor(0, "tensor");
  if (t.storage.use_count() == 1)
    return a.has(1) && info[1].ToBoolean().Value() ? info[0] : wrap(a.env(), reshaped(t, t.shape));
  return wrap(a.env(), copy_of(t));
}

// copyInto(dst, src): dst <- src, same shape, dtype and device (in-place update).
Napi::Value copy_into(const Napi::CallbackInfo& info) {
  Args a{info, "copyInto"};
  const Tensor& dst = a.tensor(0, "dst");
  const Tensor& src = a.tensor(1, "src", dst.dtype);
  require_shape(a.op, "src", src, dst.shape);
  require_same_device(a.op, {&dst, &src});
  dst.backend().copy_within(dst.storage->data, src.storage->data, dst.nbytes());
  return a.env().Undefined();
}

// cast(t, dtype, scale)
Napi::Value cast(const Napi::CallbackInfo& info) {
  Args a{info, "cast"};
  const Tensor& t = a.tensor(0, "tensor");
  DType to = parse_dtype(a.string(1, "dtype"), a.op);
  float scale = a.has(2) ? a.f32(2, "scale") : 1.f;
  Tensor out = empty(t.backend(), t.shape, to);
  t.backend().cast(t.storage->data, t.dtype, out.storage->data, to, t.numel(), scale);
  return wrap(a.env(), std::move(out));
}

// byteTable(x uint8, table float32 [256]) -> float32 of x's shape: table[x] element by element.
Napi::Value byte_table(const Napi::CallbackInfo& info) {
  Args a{info, "byteTable"};
  const Tensor& x = a.tensor(0, "x", DType::U8);
  const Tensor& table = a.tensor(1, "table", DType::F32);
  if (table.numel() != 256)
    fail(ErrorCode::Shape, "byteTable: the table needs 256 values (one per byte), got ", shape_str(table.shape));
  require_same_device(a.op, {&x, &table});
  Tensor out = empty(x.backend(), x.shape, DType::F32);
  if (x.numel() > 0)
    x.backend().byte_table(static_cast<const uint8_t*>(x.storage->data), table.f32(), out.f32(), x.numel());
  return wrap(a.env(), std::move(out));
}

// toDevice(t, device): a copy on another device (through the host when both differ).
Napi::Value to_device(const Napi::CallbackInfo& info) {
  Args a{info, "toDevice"};
  const Tensor& t = a.tensor(0, "tensor");
  Backend& dst = backend_for(a.string(1, "device"), a.op);
  Tensor out = empty(dst, t.shape, t.dtype);
  if (&dst == &t.backend()) {
    dst.copy_within(out.storage->data, t.storage->data, t.nbytes());
  } else if (t.device() == Device::CPU) {
    dst.copy_from_host(out.storage->data, t.storage->data, t.nbytes());
  } else if (dst.device() == Device::CPU) {
    t.backend().copy_to_host(out.storage->data, t.storage->data, t.nbytes());
  } else {
    std::vector<uint8_t> host(t.nbytes());
    t.backend().copy_to_host(host.data(), t.storage->data, host.size());
    dst.copy_from_host(out.storage->data, host.data(), host.size());
  }
  return wrap(a.env(), std::move(out));
}

StridedCopyArgs read_strides(Args& a, size_t i, const Shape& shape, const char* name, int64_t offset,
                             int64_t storage_numel, bool src) {
  StridedCopyArgs s{};
  Napi::Value v = a.info[i];
  if (!v.IsArray()) fail(ErrorCode::Argument, a.op, ": '", name, "' must be an array of strides");
  Napi::Array arr = v.As<Napi::Array>();
  if (arr.Length() != shape.size())
    fail(ErrorCode::Shape, a.op, ": '", name, "' has ", arr.Length(), " entries for shape ", shape_str(shape));
  // The largest and smallest element offsets reached must stay inside the storage.
  int64_t lo = offset, hi = offset;
  for (uint32_t d = 0; d < arr.Length(); ++d) {
    Napi::Value e = arr.Get(d);
    double st = e.IsNumber() ? e.As<Napi::Number>().DoubleValue() : NAN;
    if (!std::isfinite(st) || st != std::floor(st))
      fail(ErrorCode::Argument, a.op, ": '", name, "' must hold integers");
    // |stride| must fit int64 and every step below is overflow-checked: a stride of 2**62+1000
    // times an extent must not wrap back into range and pass the bounds check.
    if (std::fabs(st) >= 9.2e18) fail(ErrorCode::Index, a.op, ": '", name, "' stride ", st, " is out of range");
    int64_t sti = static_cast<int64_t>(st), reach = 0;
    bool overflow = false;
    if (shape[d] > 0) {
      overflow = __builtin_mul_overflow(sti, shape[d] - 1, &reach);
      if (!overflow) overflow = __builtin_add_overflow(sti >= 0 ? hi : lo, reach, sti >= 0 ? &hi : &lo);
    }
    if (overflow)
      fail(ErrorCode::Index, a.op, ": a view of shape ", shape_str(shape), " with ", name,
           " reaches past the 64-bit index range (stride ", sti, " in dimension ", d, ")");
    (src ? s.src_strides : s.dst_strides)[d] = sti;
  }
  if (numel(shape) > 0 && (lo < 0 || hi >= storage_numel))
    fail(ErrorCode::Index, a.op, ": a view of shape ", shape_str(shape), " with ", name, " at offset ", offset,
         " reaches elements [", lo, ", ", hi, "] outside the ", storage_numel, " elements of the tensor");
  return s;
}

// stridedCopy(src, shape, srcStrides, srcOffset[, dst, dstStrides, dstOffset]): gathers a view
// of src into a new contiguous tensor of `shape`, or scatters it into dst.
Napi::Value strided_copy(const Napi::CallbackInfo& info) {
  Args a{info, "stridedCopy"};
  const Tensor& src = a.tensor(0, "src");
  Shape shape = a.shape(1, "shape");
  int64_t src_off = a.integer(3, "srcOffset", 0, int64_t(1) << 50);
  StridedCopyArgs s = read_strides(a, 2, shape, "srcStrides", src_off, src.numel(), true);
  s.ndim = static_cast<int>(shape.size());
  s.src_offset = src_off;
  for (int d = 0; d < s.ndim; ++d) s.shape[d] = shape[d];
  Tensor out;
  if (a.has(4)) {
    const Tensor& dst = a.tensor(4, "dst", src.dtype);
    require_same_device(a.op, {&src, &dst});
    int64_t dst_off = a.integer(6, "dstOffset", 0, int64_t(1) << 50);
    StridedCopyArgs d = read_strides(a, 5, shape, "dstStrides", dst_off, dst.numel(), false);
    for (int k = 0; k < s.ndim; ++k) s.dst_strides[k] = d.dst_strides[k];
    s.dst_offset = dst_off;
    out = dst;
  } else {
    out = empty(src.backend(), shape, src.dtype);
    Shape cs = contiguous_strides(shape);
    for (int k = 0; k < s.ndim; ++k) s.dst_strides[k] = cs[k];
  }
  if (numel(shape) > 0) src.backend().strided_copy(s, src.storage->data, out.storage->data, dtype_size(src.dtype));
  if (a.has(4)) return a.env().Undefined();
  return wrap(a.env(), std::move(out));
}

// rand(kind, shape, seed, offset, p1, p2, device): kind uniform [p1,p2) | normal (mean p1, std p2)
// | bernoulli (p1). Returns the tensor; the caller advances its generator by philoxBlocks(n).
Napi::Value rand(const Napi::CallbackInfo& info) {
  Args a{info, "rand"};
  std::string kind = a.string(0, "kind");
  Shape shape = a.shape(1, "shape");
  uint64_t seed = a.u64(2, "seed"), offset = a.u64(3, "offset");
  float p1 = a.f32(4, "p1"), p2 = a.has(5) ? a.f32(5, "p2") : 0.f;
  Backend& b = backend_for(a.string(6, "device"), a.op);
  Tensor t = empty(b, shape, DType::F32);
  if (kind == "uniform") {
    NN_CHECK(std::isfinite(p1) && std::isfinite(p2) && p1 <= p2, ErrorCode::Argument,
             "rand: uniform needs finite low <= high, got ", p1, ", ", p2);
    b.rand_uniform(t.f32(), t.numel(), seed, offset, p1, p2);
  } else if (kind == "normal") {
    NN_CHECK(std::isfinite(p1) && std::isfinite(p2) && p2 >= 0, ErrorCode::Argument,
             "rand: normal needs a finite mean and std >= 0, got ", p1, ", ", p2);
    b.rand_normal(t.f32(), t.numel(), seed, offset, p1, p2);
  } else if (kind == "bernoulli") {
    NN_CHECK(p1 >= 0 && p1 <= 1, ErrorCode::Argument, "rand: bernoulli needs p in [0, 1], got ", p1);
    b.rand_bernoulli(t.f32(), t.numel(), seed, offset, p1);
  } else {
    fail(ErrorCode::Argument, "rand: unknown distribution '", kind, "' (expected uniform, normal or bernoulli)");
  }
  return wrap(a.env(), std::move(t));
}

// randPermutation(n, seed, offset, device) -> int32 [n]
Napi::Value rand_permutation(const Napi::CallbackInfo& info) {
  Args a{info, "randPermutation"};
  return new_vector(a, a.integer(0, "n", 0, INT32_MAX), DType::I32, [&](Backend& b, Tensor& t) {
    b.rand_permutation(t.i32(), t.numel(), a.u64(1, "seed"), a.u64(2, "offset"));
  });
}

Napi::Value philox_blocks(const Napi::CallbackInfo& info) {
  Args a{info, "philoxBlocks"};
  return Napi::Number::New(a.env(), static_cast<double>(philox_blocks_for(a.integer(0, "n", 0, int64_t(1) << 50))));
}

Napi::Value get_num_threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), num_threads()); }

Napi::Value set_threads(const Napi::CallbackInfo& info) {
  Args a{info, "setNumThreads"};
  set_num_threads(static_cast<int>(a.integer(0, "n", 1, 256)));
  return a.env().Undefined();
}

// cudaStatus() -> { available, reason }
Napi::Value cuda_status(const Napi::CallbackInfo& info) {
  std::string reason;
  Backend* b = cuda_backend(&reason);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("available", b != nullptr);
  o.Set("reason", reason);
  o.Set("name", b ? b->name() : std::string(""));
  return o;
}

// cpuIsa() -> { kernels, avx2, avx512 }: the SIMD kernels this process runs ('avx512', 'avx2' or
// 'generic', after NNLAB_DISABLE_*) and what the CPU itself supports. Tests comparing one ISA with
// another use it to skip, with a reason, when one side would only be the other side again.
Napi::Value cpu_isa(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("kernels", cpu_kernel_isa());
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  o.Set("avx2", __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"));
  o.Set("avx512", __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx512f"));
#else
  o.Set("avx2", false);
  o.Set("avx512", false);
#endif
  return o;
}

// nativeFlags() -> { flags: { NNLAB_X: value }, convAlgorithms: [{ name, forward, backwardInput,
// backwardWeight }] }: the switches as the native core read them, and the convolution algorithms
// (the names NNLAB_CONV_ALGO accepts) with how often each ran per pass.
Napi::Value native_flags(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object flags = Napi::Object::New(env);
  for (const auto& [name, value] : flag_report()) flags.Set(name, value);
  const std::vector<ConvAlgorithmRuns> algs = cpu_conv_algorithms();
  Napi::Array names = Napi::Array::New(env, algs.size());
  for (size_t i = 0; i < algs.size(); ++i) {
    Napi::Object alg = Napi::Object::New(env);
    alg.Set("name", algs[i].name);
    alg.Set("forward", static_cast<double>(algs[i].forward));
    alg.Set("backwardInput", static_cast<double>(algs[i].backward_input));
    alg.Set("backwardWeight", static_cast<double>(algs[i].backward_weight));
    names.Set(static_cast<uint32_t>(i), alg);
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("flags", flags);
  o.Set("convAlgorithms", names);
  return o;
}

// cpuCache({ resetPeak }) -> { cachedBytes, arena }: freed large buffers the CPU backend keeps
// for reuse, and the large-buffer arena's bytes in use, their peak and the range carved so far
// (null when the arena could not be reserved).
Napi::Value cpu_cache(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool reset = info.Length() > 0 && info[0].IsObject() && info[0].As<Napi::Object>().Get("resetPeak").ToBoolean();
  const MemoryStats m = cpu_backend().memory_stats(reset);
  Napi::Object o = Napi::Object::New(env);
  o.Set("cachedBytes", static_cast<double>(m.cached_bytes));
  if (!m.has_arena) {
    o.Set("arena", env.Null());
    return o;
  }
  Napi::Object a = Napi::Object::New(env);
  a.Set("usedBytes", static_cast<double>(m.arena_used));
  a.Set("peakUsedBytes", static_cast<double>(m.arena_peak_used));
  a.Set("carvedBytes", static_cast<double>(m.arena_carved));
  o.Set("arena", a);
  return o;
}

// releaseCpuCache(): returns the cached buffers to the system allocator.
Napi::Value release_cpu_cache(const Napi::CallbackInfo& info) {
  cpu_backend().release_cache();
  return info.Env().Undefined();
}

Napi::Value set_errors(const Napi::CallbackInfo& info) {
  set_error_classes(info);
  return info.Env().Undefined();
}

}  // namespace js_core

}  // namespace nn::binding
