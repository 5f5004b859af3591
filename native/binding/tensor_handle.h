// The JavaScript handle of a native tensor: a NativeTensor object with a TensorHandle attached by
// napi_wrap. dispose() frees the storage and the handle at once and removes the wrap, which also
// deletes Node's per-object bookkeeping (its reference and finaliser record) there and then: a
// disposed handle costs nothing native, so a synchronous loop whose tensors are disposed (by
// tidy() or the training steps) stays flat without waiting for the event loop, which is where
// Node runs the finalisers of collected objects. A handle that is never disposed is freed by its
// GC finaliser. Disposed means "no wrap": the JS object answers disposed/device, and refuses the
// rest with a Disposed error.
//
// The storage size is reported to V8 as external memory so the GC runs before a loop that forgets
// dispose() can exhaust the machine, except for handles made while a scope owns new tensors
// (setTensorsScoped: tidy() or the training steps): the scope frees them deterministically, and
// reporting them made V8 run a full mark-compact whenever one training step's activations
// outgrew its external-memory allowance, several times per step. A handle that leaves the scopes
// (kept, or returned out of the outermost tidy) is reported from then on (reportMemory(true)).
#pragma once
#include <napi.h>

#include "../core/tensor.h"

namespace nn::binding {

class TensorHandle {
 public:
  static void init(Napi::Env env, Napi::Object exports);
  // A new NativeTensor object owning t.
  static Napi::Object wrap(Napi::Env env, Tensor t);
  // Whether v is a NativeTensor (disposed or not).
  static bool is(Napi::Value v);
  // The tensor of a NativeTensor object, argument `name` of `op`; throws a Disposed error naming
  // both when it was disposed.
  static const Tensor& tensor_of(Napi::Object obj, const char* op, const char* name);

 private:
  explicit TensorHandle(Tensor t) : t_(std::move(t)) {}
  // The live handle of obj, or nullptr once it is disposed.
  static TensorHandle* of(Napi::Object obj);
  static void finalize(napi_env env, void* data, void* hint);
  void report(Napi::Env env, int64_t bytes);

  static Napi::Value shape(const Napi::CallbackInfo& info);
  static Napi::Value dtype(const Napi::CallbackInfo& info);
  static Napi::Value device(const Napi::CallbackInfo& info);
  static Napi::Value numel(const Napi::CallbackInfo& info);
  static Napi::Value disposed(const Napi::CallbackInfo& info);
  static Napi::Value dispose(const Napi::CallbackInfo& info);
  static Napi::Value same_storage(const Napi::CallbackInfo& info);
  static Napi::Value report_memory(const Napi::CallbackInfo& info);

  Tensor t_;
  int64_t reported_bytes_ = 0;
  // What this handle would report (0 for a view of storage another handle owns).
  int64_t owned_bytes_ = 0;
};

}  // namespace nn::binding
