// The activation of the fused linear layer y = act(x @ w^T + bias), shared by the CPU backend,
// the CUDA kernels and the simulator. Each activation is computed by the UnaryOp it stands for,
// and the bias by BinaryOp::Add, so the fused op gives the bits of the separate add and unary map.
#pragma once
#include <cstdint>

#include "hd.h"
#include "ops.h"

namespace nn {

enum class LinearAct : int32_t { None, Relu, Sigmoid, Tanh, Count };

NN_HD float linear_act_forward(LinearAct act, float z) {
  switch (act) {
    case LinearAct::Relu:
      return unary_forward(UnaryOp::Relu, z, 0.f, 0.f);
    case LinearAct::Sigmoid:
      return unary_forward(UnaryOp::Sigmoid, z, 0.f, 0.f);
    case LinearAct::Tanh:
      return unary_forward(UnaryOp::Tanh, z, 0.f, 0.f);
    default:
      return z;
  }
}

// dz for upstream dy, from y = act(z) alone: sigmoid's and tanh's derivatives read only y, and
// relu's gate z <= 0 holds exactly where y <= 0 (y = 0 there; NaN fails both tests), so the
// pre-activation never needs keeping.
NN_HD float linear_act_grad(LinearAct act, float y, float dy) {
  switch (act) {
    case LinearAct::Relu:
      return unary_grad(UnaryOp::Relu, y, y, dy, 0.f, 0.f);
    case LinearAct::Sigmoid:
      return unary_grad(UnaryOp::Sigmoid, y, y, dy, 0.f, 0.f);
    case LinearAct::Tanh:
      return unary_grad(UnaryOp::Tanh, y, y, dy, 0.f, 0.f);
    default:
      return dy;
  }
}

}  // namespace nn
