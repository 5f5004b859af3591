#include "errors.h"

#include <map>
#include <new>

namespace nn::binding {
namespace {
// One reference per error code; held for the life of the process (the addon is loaded once).
std::map<std::string, Napi::FunctionReference>& classes() {
  static auto* m = new std::map<std::string, Napi::FunctionReference>();
  return *m;
}

}  // namespace

void set_error_classes(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsObject()) return;
  Napi::Object obj = info[0].As<Napi::Object>();
  Napi::Array keys = obj.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    std::string key = keys.Get(i).As<Napi::String>().Utf8Value();
    Napi::Value v = obj.Get(key);
    if (v.IsFunction()) classes()[key] = Napi::Persistent(v.As<Napi::Function>());
  }
}

Napi::Error make_js_error(Napi::Env env, ErrorCode code, const std::string& message) {
  const char* name = error_code_name(code);
  auto it = classes().find(name);
  if (it != classes().end()) {
    Napi::Object err = it->second.New({Napi::String::New(env, message)});
    return Napi::Error(env, err);
  }
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, name));
  return e;
}

namespace {
struct Export {
  OpFn fn;
};

Napi::Value dispatch(const Napi::CallbackInfo& info) {
  auto* ex = static_cast<Export*>(info.Data());
  Napi::Env env = info.Env();
  try {
    return ex->fn(info);
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
  auto* ex = new Export{fn};  // lives as long as the function it backs (process lifetime)
  exports.Set(name, Napi::Function::New(env, dispatch, name, ex));
}

}  // namespace nn::binding
