#include "tensor_handle.h"

#include <atomic>

#include "../core/dtype.h"
#include "addon_data.h"
#include "errors.h"

namespace nn::binding {

namespace {
// Handles not yet disposed or finalised, in every environment of the process (a diagnostic: the
// memory tests check that disposed handles leave nothing behind).
std::atomic<int64_t> g_live_handles{0};

// `new NativeTensor()` from JavaScript is refused: handles are made by wrap() only.
napi_value construct(napi_env env, napi_callback_info cbinfo) {
  napi_value self = nullptr;
  napi_get_cb_info(env, cbinfo, nullptr, nullptr, &self, nullptr);
  if (!AddonData::of(Napi::Env(env)).constructing) {
    napi_throw_type_error(env, nullptr, "NativeTensor cannot be constructed directly; use the tensor factories");
    return nullptr;
  }
  return self;
}

Napi::Error disposed_error(Napi::Env env, const char* what) {
  return make_js_error(env, ErrorCode::Disposed, std::string(what) + ": the tensor was disposed and cannot be used");
}
}  // namespace

void TensorHandle::init(Napi::Env env, Napi::Object exports) {
  napi_value raw = nullptr;
  NAPI_THROW_IF_FAILED_VOID(
      env, napi_define_class(env, "NativeTensor", NAPI_AUTO_LENGTH, construct, nullptr, 0, nullptr, &raw));
  Napi::Function cls(env, raw);
  Napi::Object proto = cls.Get("prototype").As<Napi::Object>();
  auto method = [&](const char* name, Napi::Value (*fn)(const Napi::CallbackInfo&)) {
    return Napi::PropertyDescriptor::Value(name, Napi::Function::New(env, fn, name), napi_default_method);
  };
  proto.DefineProperties({
      Napi::PropertyDescriptor::Accessor<&TensorHandle::shape>("shape"),
      Napi::PropertyDescriptor::Accessor<&TensorHandle::dtype>("dtype"),
      Napi::PropertyDescriptor::Accessor<&TensorHandle::device>("device"),
      Napi::PropertyDescriptor::Accessor<&TensorHandle::numel>("numel"),
      Napi::PropertyDescriptor::Accessor<&TensorHandle::disposed>("disposed"),
      method("dispose", &TensorHandle::dispose),
      method("sharesStorageWith", &TensorHandle::same_storage),
      method("reportMemory", &TensorHandle::report_memory),
  });
  AddonData::of(env).tensor_ctor = Napi::Persistent(cls);
  exports.Set("NativeTensor", cls);
  exports.Set("liveTensorHandles", Napi::Function::New(
                                       env,
                                       [](const Napi::CallbackInfo& info) {
                                         return Napi::Number::New(info.Env(),
                                                                  static_cast<double>(g_live_handles.load()));
                                       },
                                       "liveTensorHandles"));
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
  auto* h = new TensorHandle(std::move(t));
  g_live_handles.fetch_add(1, std::memory_order_relaxed);
  // No napi_ref is asked for: the wrap's reference then belongs to Node, which deletes it when
  // dispose() removes the wrap (at once) or after the GC finaliser (on a later event-loop turn).
  napi_status status = napi_wrap(env, obj, h, &TensorHandle::finalize, nullptr, nullptr);
  if (status != napi_ok) {
    delete h;
    NAPI_THROW_IF_FAILED(env, status, obj);
  }
  // Only a handle that is the first owner of its storage reports it, so views don't double count.
  if (h->t_.storage.use_count() == 1) {
    h->owned_bytes_ = static_cast<int64_t>(h->t_.storage->bytes);
    // Reporting even briefly would count: V8 checks its limit on every increase, and one
    // activation of a stacked ensemble (77 MB) is over it on its own.
    if (!data.scoped) h->report(env, h->owned_bytes_);
  }
  return obj;
}

bool TensorHandle::is(Napi::Value v) {
  if (!v.IsObject()) return false;
  AddonData& data = AddonData::of(v.Env());
  return !data.tensor_ctor.IsEmpty() && v.As<Napi::Object>().InstanceOf(data.tensor_ctor.Value());
}

TensorHandle* TensorHandle::of(Napi::Object obj) {
  void* p = nullptr;
  if (napi_unwrap(obj.Env(), obj, &p) != napi_ok) return nullptr;
  return static_cast<TensorHandle*>(p);
}

const Tensor& TensorHandle::tensor_of(Napi::Object obj, const char* op, const char* name) {
  TensorHandle* h = of(obj);
  if (!h) fail(ErrorCode::Disposed, op, ": '", name, "': the tensor was disposed and cannot be used");
  return h->t_;
}

void TensorHandle::finalize(napi_env env, void* data, void* /*hint*/) {
  // GC finaliser (or the environment shutting down): give back the external-memory credit; the
  // storage goes with the handle.
  auto* h = static_cast<TensorHandle*>(data);
  h->report(Napi::Env(env), 0);
  g_live_handles.fetch_sub(1, std::memory_order_relaxed);
  delete h;
}

void TensorHandle::report(Napi::Env env, int64_t bytes) {
  if (bytes == reported_bytes_) return;
  Napi::MemoryManagement::AdjustExternalMemory(env, bytes - reported_bytes_);
  reported_bytes_ = bytes;
}

Napi::Value TensorHandle::shape(const Napi::CallbackInfo& info) {
  TensorHandle* h = of(info.This().As<Napi::Object>());
  if (!h) throw disposed_error(info.Env(), "shape");
  const Shape& s = h->t_.shape;
  Napi::Array a = Napi::Array::New(info.Env(), s.size());
  for (size_t i = 0; i < s.size(); ++i) a.Set(static_cast<uint32_t>(i), static_cast<double>(s[i]));
  return a;
}

Napi::Value TensorHandle::dtype(const Napi::CallbackInfo& info) {
  TensorHandle* h = of(info.This().As<Napi::Object>());
  if (!h) throw disposed_error(info.Env(), "dtype");
  return Napi::String::New(info.Env(), dtype_name(h->t_.dtype));
}

Napi::Value TensorHandle::device(const Napi::CallbackInfo& info) {
  TensorHandle* h = of(info.This().As<Napi::Object>());
  return Napi::String::New(info.Env(), h ? device_name(h->t_.device()) : "disposed");
}

Napi::Value TensorHandle::numel(const Napi::CallbackInfo& info) {
  TensorHandle* h = of(info.This().As<Napi::Object>());
  if (!h) throw disposed_error(info.Env(), "numel");
  return Napi::Number::New(info.Env(), static_cast<double>(h->t_.numel()));
}

Napi::Value TensorHandle::disposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), of(info.This().As<Napi::Object>()) == nullptr);
}

// Frees the storage and the handle now, with Node's record of the wrap. Safe to call twice.
Napi::Value TensorHandle::dispose(const Napi::CallbackInfo& info) {
  void* p = nullptr;
  if (info.This().IsObject() && napi_remove_wrap(info.Env(), info.This(), &p) == napi_ok && p) {
    auto* h = static_cast<TensorHandle*>(p);
    h->report(info.Env(), 0);
    g_live_handles.fetch_sub(1, std::memory_order_relaxed);
    delete h;
  }
  return info.Env().Undefined();
}

// reportMemory(on): whether this handle's storage counts as V8 external memory (see the header).
Napi::Value TensorHandle::report_memory(const Napi::CallbackInfo& info) {
  TensorHandle* h = of(info.This().As<Napi::Object>());
  if (h) h->report(info.Env(), info.Length() > 0 && info[0].ToBoolean().Value() ? h->owned_bytes_ : 0);
  return info.Env().Undefined();
}

Napi::Value TensorHandle::same_storage(const Napi::CallbackInfo& info) {
  TensorHandle* a = of(info.This().As<Napi::Object>());
  TensorHandle* b = info.Length() > 0 && is(info[0]) ? of(info[0].As<Napi::Object>()) : nullptr;
  return Napi::Boolean::New(info.Env(), a && b && a->t_.storage == b->t_.storage);
}

}  // namespace nn::binding
