#include "errors.h"
#include "register.h"

namespace nn::binding {

void register_softmax(Napi::Env, Napi::Object) {}

}  // namespace nn::binding
