// The JavaScript handle of a native tensor. dispose() frees the storage at once; the GC
// finaliser frees it otherwise. The storage size is reported to V8 as external memory so the
// GC runs before a loop that forgets dispose() can exhaust the machine, except for handles
// made while a tidy() scope is open (setTensorsScoped): the scope frees them deterministically,
// and reporting them made V8 run a full mark-compact whenever one training step's activations
// outgrew its external-memory allowance, several times per step. A handle that leaves the scopes (kept, or returned out
// of the outermost tidy) is reported from then on (reportMemory(true)).
#pragma once
#include <napi.h>

#include "../core/tensor.h"

namespace nn::binding {

class TensorHandle : public Napi::ObjectWrap<TensorHandle> {
 public:
  static void init(Napi::Env env, Napi::Object exports);
  static Napi::Object wrap(Napi::Env env, Tensor t);
  static bool is(Napi::Value v);

  explicit TensorHandle(const Napi::CallbackInfo& info);
  ~TensorHandle() override;
  void Finalize(Napi::Env env) override;

  // Throws a Disposed error naming `what` when the tensor has been disposed.
  const Tensor& tensor(const char* what) const;

 private:
  Napi::Value shape(const Napi::CallbackInfo& info);
  Napi::Value dtype(const Napi::CallbackInfo& info);
  Napi::Value device(const Napi::CallbackInfo& info);
  Napi::Value numel(const Napi::CallbackInfo& info);
  Napi::Value disposed(const Napi::CallbackInfo& info);
  Napi::Value dispose(const Napi::CallbackInfo& info);
  Napi::Value same_storage(const Napi::CallbackInfo& info);
  Napi::Value report_memory(const Napi::CallbackInfo& info);
  void release(Napi::Env env);

  Tensor t_;
  bool disposed_ = false;
  int64_t reported_bytes_ = 0;
  // What this handle would report (0 for a view of storage another handle owns).
  int64_t owned_bytes_ = 0;
};

}  // namespace nn::binding
