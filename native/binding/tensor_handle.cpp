#include "tensor_handle.h"

#include "../core/dtype.h"
#include "addon_data.h"

namespace nn::binding {

void TensorHandle::init(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = DefineClass(env, "NativeTensor",
                                   {
                                       InstanceAccessor<&TensorHandle::shape>("shape"),
                                       InstanceAccessor<&TensorHandle::dtype>("dtype"),
                                       InstanceAccessor<&TensorHandle::device>("device"),
                                       InstanceAccessor<&TensorHandle::numel>("numel"),
                                       InstanceAccessor<&TensorHandle::disposed>("disposed"),
                                       InstanceMethod<&TensorHandle::dispose>("dispose"),
                                       InstanceMethod<&TensorHandle::same_storage>("sharesStorageWith"),
                                       InstanceMethod<&TensorHandle::report_memory>("reportMemory"),
                                   });
  AddonData::of(env).tensor_ctor = Napi::Persistent(cls);
  exports.Set("NativeTensor", cls);
  // setTensorsScoped(on): while JS has a tidy() scope open, new handles start unreported.
  exports.Set("setTensorsScoped", Napi::Function::New(
                                      env,
                                      [](const Napi::CallbackInfo& info) {
                                        AddonData::of(info.Env()).scoped =
                                            info.Length() > 0 && info[0].ToBoolean().Value();
                                        return info.Env().Undefined();
                                      },
                                      "setTensorsScoped"));
}

Napi::Object TensorHandle::wrap(Napi::Env env, Tensor t) {
  AddonData& data = AddonData::of(env);
  data.constructing = true;
  Napi::Object obj = data.tensor_ctor.New({});
  data.constructing = false;
  TensorHandle* h = Unwrap(obj);
  h->t_ = std::move(t);
  // Only a handle that is the first owner of its storage reports it, so views don't double count.
  if (h->t_.storage.use_count() == 1) {
    h->owned_bytes_ = static_cast<int64_t>(h->t_.storage->bytes);
    // Reporting even briefly would count: V8 checks its limit on every increase, and one
    // activation of a stacked ensemble (77 MB) is over it on its own.
    if (!data.scoped) {
      h->reported_bytes_ = h->owned_bytes_;
      Napi::MemoryManagement::AdjustExternalMemory(env, h->reported_bytes_);
    }
  }
  return obj;
}

bool TensorHandle::is(Napi::Value v) {
  if (!v.IsObject()) return false;
  AddonData& data = AddonData::of(v.Env());
  return !data.tensor_ctor.IsEmpty() && v.As<Napi::Object>().InstanceOf(data.tensor_ctor.Value());
}

TensorHandle::TensorHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TensorHandle>(info) {
  if (!AddonData::of(info.Env()).constructing)
    throw Napi::TypeError::New(info.Env(), "NativeTensor cannot be constructed directly; use the tensor factories");
}

void TensorHandle::Finalize(Napi::Env env) {
  // GC finaliser: give back the external-memory credit; the storage goes with the object.
  if (reported_bytes_) {
    Napi::MemoryManagement::AdjustExternalMemory(env, -reported_bytes_);
    reported_bytes_ = 0;
  }
}

TensorHandle::~TensorHandle() {
  // Finaliser path: the env may be tearing down, so only release memory, no V8 calls.
  t_.storage.reset();
}

const Tensor& TensorHandle::tensor(const char* what) const {
  if (disposed_) fail(ErrorCode::Disposed, what, ": the tensor was disposed and cannot be used");
  return t_;
}

void TensorHandle::release(Napi::Env env) {
  if (disposed_) return;
  disposed_ = true;
  t_.storage.reset();
  if (reported_bytes_) {
    Napi::MemoryManagement::AdjustExternalMemory(env, -reported_bytes_);
    reported_bytes_ = 0;
  }
}

Napi::Value TensorHandle::shape(const Napi::CallbackInfo& info) {
  Napi::Array a = Napi::Array::New(info.Env(), t_.shape.size());
  for (size_t i = 0; i < t_.shape.size(); ++i) a.Set(static_cast<uint32_t>(i), static_cast<double>(t_.shape[i]));
  return a;
}

Napi::Value TensorHandle::dtype(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), dtype_name(t_.dtype));
}

Napi::Value TensorHandle::device(const Napi::CallbackInfo& info) {
  if (disposed_) return Napi::String::New(info.Env(), "disposed");
  return Napi::String::New(info.Env(), device_name(t_.device()));
}

Napi::Value TensorHandle::numel(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(t_.numel()));
}

Napi::Value TensorHandle::disposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), disposed_); }

Napi::Value TensorHandle::dispose(const Napi::CallbackInfo& info) {
  release(info.Env());
  return info.Env().Undefined();
}

// reportMemory(on): whether this handle's storage counts as V8 external memory (see the header).
Napi::Value TensorHandle::report_memory(const Napi::CallbackInfo& info) {
  const bool on = info.Length() > 0 && info[0].ToBoolean().Value();
  if (!disposed_) {
    const int64_t want = on ? owned_bytes_ : 0;
    if (want != reported_bytes_) {
      Napi::MemoryManagement::AdjustExternalMemory(info.Env(), want - reported_bytes_);
      reported_bytes_ = want;
    }
  }
  return info.Env().Undefined();
}

Napi::Value TensorHandle::same_storage(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !is(info[0])) return Napi::Boolean::New(info.Env(), false);
  TensorHandle* o = Unwrap(info[0].As<Napi::Object>());
  return Napi::Boolean::New(info.Env(), !disposed_ && !o->disposed_ && o->t_.storage == t_.storage);
}

}  // namespace nn::binding
