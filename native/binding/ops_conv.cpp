#include "errors.h"
#include "register.h"

namespace nn::binding {

void register_conv(Napi::Env, Napi::Object) {}

}  // namespace nn::binding
