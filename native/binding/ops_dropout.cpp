#include "errors.h"
#include "register.h"

namespace nn::binding {

void register_dropout(Napi::Env, Napi::Object) {}

}  // namespace nn::binding
