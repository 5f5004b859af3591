#include "errors.h"

#include <new>

#include "addon_data.h"

namespace nn::binding {

void set_error_classes(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsObject()) return;
  Napi::Object obj = info[0].As<Napi::Object>();
  auto& classes = AddonData::of(info.Env()).error_classes;
  Napi::Array keys = obj.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    std::string key = keys.Get(i).As<Napi::String>().Utf8Value();
    Napi::Value v = obj.Get(key);
    if (v.IsFunction()) classes[key] = Napi::Persistent(v.As<Napi::Function>());
  }
}

Napi::Error make_js_error(Napi::Env env, ErrorCode code, const std::string& message) {
  const char* name = error_code_name(code);
  auto& classes = AddonData::of(env).error_classes;
  auto it = classes.find(name);
  if (it != classes.end()) {
    Napi::Object err = it->second.New({Napi::String::New(env, message)});
    return Napi::Error(env, err);
  }
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, name));
  return e;
}

namespace {
Napi::Value dispatch(const Napi::CallbackInfo& info) {
  OpFn fn = *static_cast<OpFn*>(info.Data());
  Napi::Env env = info.Env();
  try {
    return fn(info);
  } catch (const Napi::Error&) {
    throw;  // already a JS error
  } catch (const Error& e) {
    throw make_js_error(env, e.code(), e.what());
  } catch (const std::bad_alloc&) {
    throw make_js_error(env, ErrorCode::OutOfMemory, "out of memory");
  } catch (const std::exception& e) {
    throw make_js_error(env, ErrorCode::Internal, std::string("internal error: ") + e.what());
  }
}
}  // namespace

void export_op(Napi::Env env, Napi::Object exports, const char* name, OpFn fn) {
  // Owned by this environment's data, which outlives every function it backs.
  auto& ops = AddonData::of(env).ops;
  ops.push_back(std::make_unique<OpFn>(fn));
  exports.Set(name, Napi::Function::New(env, dispatch, name, ops.back().get()));
}

}  // namespace nn::binding
