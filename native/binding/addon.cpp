// The addon's entry point: the tensor class, then every function of ops.def's JavaScript surface.
#include <napi.h>

#include "errors.h"
#include "js_functions.h"
#include "tensor_handle.h"

namespace nn::binding {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  TensorHandle::init(env, exports);
#define NN_JS(family, js_name, function) export_op(env, exports, #js_name, js_##family::function);
#include "../ops.def"
  return exports;
}

}  // namespace nn::binding

static Napi::Object nnlab_init(Napi::Env env, Napi::Object exports) { return nn::binding::init(env, exports); }

NODE_API_MODULE(nnlab, nnlab_init)
