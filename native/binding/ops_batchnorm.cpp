#include "errors.h"
#include "register.h"

namespace nn::binding {

void register_batchnorm(Napi::Env, Napi::Object) {}

}  // namespace nn::binding
