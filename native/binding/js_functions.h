// Declarations of the addon's JavaScript functions, one per NN_JS line of ops.def: function f of
// family F is nn::binding::js_F::f, defined in binding/ops_F.cpp.
#pragma once
#include <napi.h>

namespace nn::binding {
#define NN_JS(family, js_name, function)                  \
  namespace js_##family {                                 \
    Napi::Value function(const Napi::CallbackInfo& info); \
  }
#include "../ops.def"
}  // namespace nn::binding
