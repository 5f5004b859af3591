// Translation of native errors into JavaScript: every op entry point runs inside guarded(),
// which turns nn::Error (and std::bad_alloc, and any stray std::exception) into a thrown JS
// error of the NnlabError subclass registered for its code. Nothing escapes as a crash.
#pragma once
#include <napi.h>

#include "../core/error.h"
#include "addon_data.h"

namespace nn::binding {

// Called once by lib/native.ts with { ERR_SHAPE: ShapeError, ... } so errors are created as the
// right subclasses without wrapping every call in JavaScript.
void set_error_classes(const Napi::CallbackInfo& info);

// Builds the JS error for a code and message (falls back to a plain Error with .code).
Napi::Error make_js_error(Napi::Env env, ErrorCode code, const std::string& message);

// Exports fn under `name` with native errors translated.
void export_op(Napi::Env env, Napi::Object exports, const char* name, OpFn fn);

}  // namespace nn::binding
