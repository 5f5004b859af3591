#include "errors.h"
#include "register.h"

namespace nn::binding {

void register_optim(Napi::Env, Napi::Object) {}

}  // namespace nn::binding
