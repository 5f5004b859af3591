// Each op family's binding file defines one register_* function; addon.cpp calls them all.
#pragma once
#include <napi.h>

namespace nn::binding {
void register_core(Napi::Env env, Napi::Object exports);
void register_gemm(Napi::Env env, Napi::Object exports);
void register_conv(Napi::Env env, Napi::Object exports);
void register_conv_pool(Napi::Env env, Napi::Object exports);
void register_pool(Napi::Env env, Napi::Object exports);
void register_batchnorm(Napi::Env env, Napi::Object exports);
void register_elementwise(Napi::Env env, Napi::Object exports);
void register_reduce(Napi::Env env, Napi::Object exports);
void register_softmax(Napi::Env env, Napi::Object exports);
void register_dropout(Napi::Env env, Napi::Object exports);
void register_indexing(Napi::Env env, Napi::Object exports);
void register_optim(Napi::Env env, Napi::Object exports);
void register_knn(Napi::Env env, Napi::Object exports);
void register_image(Napi::Env env, Napi::Object exports);
void register_spectral(Napi::Env env, Napi::Object exports);
}  // namespace nn::binding
