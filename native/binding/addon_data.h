// Per-environment state of the addon. Node may load it in several environments at once (the
// main thread and worker_threads, each with its own V8 isolate); a JS reference made in one must
// never be used from another, so everything that holds one lives here, attached to its
// environment with SetInstanceData and freed when that environment shuts down.
#pragma once
#include <napi.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace nn::binding {

using OpFn = Napi::Value (*)(const Napi::CallbackInfo&);

struct AddonData {
  Napi::FunctionReference tensor_ctor;
  // Handles are created from C++ only: JS `new` without this token is refused.
  bool constructing = false;
  // True while JS has a tidy() scope open: handles made then belong to it (see reportMemory).
  bool scoped = false;
  // NnlabError subclasses by code (ERR_SHAPE -> ShapeError), set by lib/core/native.ts.
  std::map<std::string, Napi::FunctionReference> error_classes;
  // The op pointers the exported functions carry as their data.
  std::vector<std::unique_ptr<OpFn>> ops;

  // This environment's data, created on first use.
  static AddonData& of(Napi::Env env) {
    AddonData* d = env.GetInstanceData<AddonData>();
    if (!d) {
      d = new AddonData();
      env.SetInstanceData(d);  // deleted (references released) when the environment is torn down
    }
    return *d;
  }
};

}  // namespace nn::binding
