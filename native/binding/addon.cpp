// The addon's entry point: the tensor class and every op family's functions.
#include <napi.h>

#include "register.h"
#include "tensor_handle.h"

namespace nn::binding {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  TensorHandle::init(env, exports);
  register_core(env, exports);
  register_gemm(env, exports);
  register_conv(env, exports);
  register_conv_pool(env, exports);
  register_pool(env, exports);
  register_batchnorm(env, exports);
  register_elementwise(env, exports);
  register_reduce(env, exports);
  register_softmax(env, exports);
  register_dropout(env, exports);
  register_indexing(env, exports);
  register_optim(env, exports);
  register_knn(env, exports);
  register_image(env, exports);
  register_spectral(env, exports);
  return exports;
}

}  // namespace nn::binding

static Napi::Object nnlab_init(Napi::Env env, Napi::Object exports) { return nn::binding::init(env, exports); }

NODE_API_MODULE(nnlab, nnlab_init)
