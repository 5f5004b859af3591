// Fused optimizer steps: one call updates every parameter of a model in place.
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "args.h"
#include "js_functions.h"
#include "errors.h"

namespace nn::binding {
namespace js_optim {

using TensorList = std::vector<const Tensor*>;

// A finite hyper-parameter in [lo, hi] (hi exclusive when hi_open), named in the error.
float hyper(const Args& a, size_t i, const char* name, double lo, double hi, bool hi_open = false) {
  double v = a.number(i, name);
  bool ok = std::isfinite(static_cast<float>(v)) && v >= lo && (hi_open ? v < hi : v <= hi);
  if (!ok)
    fail(ErrorCode::Argument, a.op, ": '", name, "' must be a finite number in [", lo, ", ", hi, hi_open ? ")" : "]",
         ", got ", v);
  return static_cast<float>(v);
}

// Every list as long as params, every tensor shaped like its parameter and on its device.
void check_lists(const Args& a, const TensorList& params,
                 std::initializer_list<std::pair<const char*, const TensorList*>> lists) {
  for (const auto& [name, list] : lists) {
    if (list->size() != params.size())
      fail(ErrorCode::Argument, a.op, ": '", name, "' has ", list->size(), " tensors but 'params' has ", params.size(),
           "; each list needs one entry per parameter");
    for (size_t i = 0; i < params.size(); ++i) {
      const Tensor& p = *params[i];
      const Tensor& t = *(*list)[i];
      if (t.shape != p.shape)
        fail(ErrorCode::Shape, a.op, ": ", name, "[", i, "] has shape ", shape_str(t.shape), " but params[", i,
             "] has shape ", shape_str(p.shape));
      require_same_device(a.op, {params[0], &t});
    }
  }
  for (const Tensor* p : params) require_same_device(a.op, {params[0], p});
}

// Parameters and state buffers are written in parallel: two of them sharing storage would race.
void check_distinct(const Args& a, std::initializer_list<std::pair<const char*, const TensorList*>> lists) {
  std::map<const Storage*, std::string> seen;
  for (const auto& [name, list] : lists) {
    for (size_t i = 0; i < list->size(); ++i) {
      std::string label = std::string(name) + "[" + std::to_string(i) + "]";
      auto [it, fresh] = seen.emplace((*list)[i]->storage.get(), label);
      if (!fresh)
        fail(ErrorCode::Argument, a.op, ": ", it->second, " and ", label,
             " share storage; every parameter and state buffer must be a distinct tensor");
    }
  }
}

// One in-place update of every tensor in `updated`: slot(i) describes tensor i and what the
// update reads with it; step(backend, slots, count) runs the kernel once over all of them.
template <class Slot, class Step>
Napi::Value update_all(const Args& a, const TensorList& updated, Slot&& slot, Step&& step) {
  if (updated.empty()) return a.env().Undefined();
  std::vector<ParamSlot> slots(updated.size());
  for (size_t i = 0; i < updated.size(); ++i) slots[i] = slot(i);
  step(updated[0]->backend(), slots.data(), static_cast<int64_t>(slots.size()));
  return a.env().Undefined();
}

// sgdStep(params[], grads[], momentumBufs[] | null, lr, momentum, dampening, weightDecay,
//         nesterov, firstStep)
Napi::Value sgd_step(const Napi::CallbackInfo& info) {
  Args a{info, "sgdStep"};
  TensorList params = a.tensor_list(0, "params", DType::F32);
  TensorList grads = a.tensor_list(1, "grads", DType::F32);
  TensorList bufs;
  bool has_bufs = a.has(2);
  if (has_bufs) bufs = a.tensor_list(2, "momentumBufs", DType::F32);
  SgdArgs s;
  s.lr = hyper(a, 3, "lr", 0, INFINITY, true);
  s.momentum = hyper(a, 4, "momentum", 0, INFINITY, true);
  s.dampening = hyper(a, 5, "dampening", 0, 1);
  s.weight_decay = hyper(a, 6, "weightDecay", 0, INFINITY, true);
  s.nesterov = a.boolean(7, "nesterov");
  s.first_step = a.boolean(8, "firstStep");
  if (s.nesterov && (s.momentum <= 0.f || s.dampening != 0.f))
    fail(ErrorCode::Argument, a.op, ": nesterov momentum requires momentum > 0 and dampening 0, got momentum ",
         s.momentum, " and dampening ", s.dampening);
  bool use_bufs = s.momentum != 0.f;
  if (use_bufs && !has_bufs)
    fail(ErrorCode::Argument, a.op, ": 'momentumBufs' is required when momentum is ", s.momentum, " (non-zero)");
  check_lists(a, params, {{"grads", &grads}});
  if (has_bufs) check_lists(a, params, {{"momentumBufs", &bufs}});
  if (use_bufs)
    check_distinct(a, {{"params", &params}, {"momentumBufs", &bufs}});
  else
    check_distinct(a, {{"params", &params}});
  return update_all(
      a, params,
      [&](size_t i) {
        return ParamSlot{params[i]->f32(), grads[i]->f32(), use_bufs ? bufs[i]->f32() : nullptr, nullptr,
                         params[i]->numel()};
      },
      [&](Backend& b, ParamSlot* slots, int64_t n) { b.sgd_step(s, slots, n); });
}

// adamStep(params[], grads[], m[], v[], lr, beta1, beta2, eps, weightDecay, decoupled, step)
Napi::Value adam_step(const Napi::CallbackInfo& info) {
  Args a{info, "adamStep"};
  TensorList params = a.tensor_list(0, "params", DType::F32);
  TensorList grads = a.tensor_list(1, "grads", DType::F32);
  TensorList m = a.tensor_list(2, "m", DType::F32);
  TensorList v = a.tensor_list(3, "v", DType::F32);
  AdamArgs s;
  s.lr = hyper(a, 4, "lr", 0, INFINITY, true);
  s.beta1 = hyper(a, 5, "beta1", 0, 1, true);
  s.beta2 = hyper(a, 6, "beta2", 0, 1, true);
  s.eps = hyper(a, 7, "eps", 0, INFINITY, true);
  if (!(s.eps > 0.f)) fail(ErrorCode::Argument, a.op, ": 'eps' must be > 0, got ", s.eps);
  s.weight_decay = hyper(a, 8, "weightDecay", 0, INFINITY, true);
  s.decoupled = a.boolean(9, "decoupled");
  s.step = a.integer(10, "step", 1, int64_t(1) << 40);
  check_lists(a, params, {{"grads", &grads}, {"m", &m}, {"v", &v}});
  check_distinct(a, {{"params", &params}, {"m", &m}, {"v", &v}});
  return update_all(
      a, params,
      [&](size_t i) {
        return ParamSlot{params[i]->f32(), grads[i]->f32(), m[i]->f32(), v[i]->f32(), params[i]->numel()};
      },
      [&](Backend& b, ParamSlot* slots, int64_t n) { b.adam_step(s, slots, n); });
}

// emaUpdate(avg[], params[], keep, take): avg <- keep * avg + take * param, in place.
Napi::Value ema_update(const Napi::CallbackInfo& info) {
  Args a{info, "emaUpdate"};
  TensorList avg = a.tensor_list(0, "avg", DType::F32);
  TensorList params = a.tensor_list(1, "params", DType::F32);
  const float keep = hyper(a, 2, "keep", 0, 1);
  const float take = hyper(a, 3, "take", 0, 1);
  check_lists(a, params, {{"avg", &avg}});
  // The averages are written in parallel while the parameters are read: no average may share
  // storage with another or with a parameter (parameters may share storage among themselves).
  check_distinct(a, {{"avg", &avg}});
  for (size_t i = 0; i < params.size(); ++i)
    for (size_t j = 0; j < avg.size(); ++j)
      if (params[i]->storage == avg[j]->storage)
        fail(ErrorCode::Argument, a.op, ": params[", i, "] and avg[", j,
             "] share storage; every average must be a tensor of its own");
  return update_all(
      a, avg,
      [&](size_t i) {
        return ParamSlot{avg[i]->f32(), params[i]->f32(), nullptr, nullptr, avg[i]->numel()};
      },
      [&](Backend& b, ParamSlot* slots, int64_t n) { b.ema_update(keep, take, slots, n); });
}

}  // namespace js_optim

}  // namespace nn::binding
