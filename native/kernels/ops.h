// Op enums and their per-element math, shared by the CPU backend, the CUDA kernels and the
// simulator. Everything here is a pure function of its arguments.
#pragma once
#include <cmath>
#include <cstdint>

#include "activation_math.h"
#include "hd.h"

namespace nn {

// alpha/beta are per-op scalars: LeakyRelu/Elu slope alpha, Affine y = alpha*x + beta,
// Pow y = x^alpha, Clamp to [alpha, beta].
enum class UnaryOp : int32_t {
  Neg,
  Exp,
  Log,
  Log1p,
  Sqrt,
  Rsqrt,
  Abs,
  Sign,
  Square,
  Reciprocal,
  Sin,
  Cos,
  Relu,
  LeakyRelu,
  Elu,
  Sigmoid,
  Tanh,
  Gelu,
  Softplus,
  Affine,
  Pow,
  Clamp,
  Count
};

enum class BinaryOp : int32_t { Add, Sub, Mul, Div, Pow, Maximum, Minimum, Eq, Ne, Lt, Le, Gt, Ge, Count };

enum class ReduceOp : int32_t { Sum, Mean, Max, Min, Count };

NN_HD float unary_forward(UnaryOp op, float x, float alpha, float beta) {
  switch (op) {
    case UnaryOp::Neg:
      return -x;
    case UnaryOp::Exp:
      return expf(x);
    case UnaryOp::Log:
      return logf(x);
    case UnaryOp::Log1p:
      return log1pf(x);
    case UnaryOp::Sqrt:
      return sqrtf(x);
    case UnaryOp::Rsqrt:
      return 1.f / sqrtf(x);
    case UnaryOp::Abs:
      return fabsf(x);
    case UnaryOp::Sign:
      return x > 0.f ? 1.f : (x < 0.f ? -1.f : 0.f);
    case UnaryOp::Square:
      return x * x;
    case UnaryOp::Reciprocal:
      return 1.f / x;
    case UnaryOp::Sin:
      return sinf(x);
    case UnaryOp::Cos:
      return cosf(x);
    case UnaryOp::Relu:
      return x <= 0.f ? 0.f : x;  // NaN passes (NaN <= 0 is false), as in torch.relu
    case UnaryOp::LeakyRelu:
      return x > 0.f ? x : alpha * x;
    case UnaryOp::Elu:
      return x > 0.f ? x : alpha * (expf(x) - 1.f);
    case UnaryOp::Sigmoid:
      return sigmoid_f(x);
    case UnaryOp::Tanh:
      return tanh_f(x);
    case UnaryOp::Gelu:
      return 0.5f * x * (1.f + erff(x * 0.70710678118654752f));  // exact, as torch
    case UnaryOp::Softplus:
      return x > 20.f ? x : log1pf(expf(x));  // torch threshold 20
    case UnaryOp::Affine:
      return alpha * x + beta;
    case UnaryOp::Pow:
      return powf(x, alpha);
    case UnaryOp::Clamp:
      return x < alpha ? alpha : (x > beta ? beta : x);
    default:
      return x;
  }
}

// Derivative f'(x), given x and y = f(x).
NN_HD float unary_derivative(UnaryOp op, float x, float y, float alpha, float beta) {
  switch (op) {
    case UnaryOp::Neg:
      return -1.f;
    case UnaryOp::Exp:
      return y;
    case UnaryOp::Log:
      return 1.f / x;
    case UnaryOp::Log1p:
      return 1.f / (1.f + x);
    case UnaryOp::Sqrt:
      return 0.5f / y;
    case UnaryOp::Rsqrt:
      return -0.5f * y * y * y;
    case UnaryOp::Abs:
      return x > 0.f ? 1.f : (x < 0.f ? -1.f : 0.f);
    case UnaryOp::Sign:
      return 0.f;
    case UnaryOp::Square:
      return 2.f * x;
    case UnaryOp::Reciprocal:
      return -y * y;
    case UnaryOp::Sin:
      return cosf(x);
    case UnaryOp::Cos:
      return -sinf(x);
    case UnaryOp::Relu:
      return x > 0.f ? 1.f : 0.f;
    case UnaryOp::LeakyRelu:
      return x > 0.f ? 1.f : alpha;
    case UnaryOp::Elu:
      return x > 0.f ? 1.f : y + alpha;
    case UnaryOp::Sigmoid:
      return y * (1.f - y);
    case UnaryOp::Tanh:
      return 1.f - y * y;
    case UnaryOp::Gelu: {
      float cdf = 0.5f * (1.f + erff(x * 0.70710678118654752f));
      float pdf = 0.39894228040143268f * expf(-0.5f * x * x);
      return cdf + x * pdf;
    }
    case UnaryOp::Softplus:
      return x > 20.f ? 1.f : sigmoid_f(x);
    case UnaryOp::Affine:
      return alpha;
    case UnaryOp::Pow:
      return alpha == 0.f ? 0.f : alpha * powf(x, alpha - 1.f);
    case UnaryOp::Clamp:
      return (x >= alpha && x <= beta) ? 1.f : 0.f;
    default:
      return 1.f;
  }
}

// dx for upstream gradient dy. Gates (relu, clamp) select rather than multiply by 0/1, as torch's
// threshold_backward and clamp_backward do: a closed gate gives +0 even for a negative, infinite or
// NaN dy (a product would give -0 or NaN), and relu's gate is open at NaN (torch: NaN <= 0 is false).
NN_HD float unary_grad(UnaryOp op, float x, float y, float dy, float alpha, float beta) {
  switch (op) {
    case UnaryOp::Relu:
      return x <= 0.f ? 0.f : dy;
    case UnaryOp::Clamp:
      return (x >= alpha && x <= beta) ? dy : 0.f;
    default:
      return dy * unary_derivative(op, x, y, alpha, beta);
  }
}

NN_HD float binary_forward(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::Add:
      return a + b;
    case BinaryOp::Sub:
      return a - b;
    case BinaryOp::Mul:
      return a * b;
    case BinaryOp::Div:
      return a / b;
    case BinaryOp::Pow:
      return powf(a, b);
    // NaN-propagating like torch.maximum/minimum.
    case BinaryOp::Maximum:
      return (a != a || b != b) ? a + b : (a > b ? a : b);
    case BinaryOp::Minimum:
      return (a != a || b != b) ? a + b : (a < b ? a : b);
    case BinaryOp::Eq:
      return a == b ? 1.f : 0.f;
    case BinaryOp::Ne:
      return a != b ? 1.f : 0.f;
    case BinaryOp::Lt:
      return a < b ? 1.f : 0.f;
    case BinaryOp::Le:
      return a <= b ? 1.f : 0.f;
    case BinaryOp::Gt:
      return a > b ? 1.f : 0.f;
    case BinaryOp::Ge:
      return a >= b ? 1.f : 0.f;
    default:
      return 0.f;
  }
}

// Identity element of a reduction and the combine step; Mean divides the sum at the end.
NN_HD float reduce_init(ReduceOp op) {
  switch (op) {
    case ReduceOp::Max:
      return -INFINITY;
    case ReduceOp::Min:
      return INFINITY;
    default:
      return 0.f;
  }
}

NN_HD float reduce_combine(ReduceOp op, float acc, float v) {
  switch (op) {
    case ReduceOp::Max:
      return (v > acc || v != v) ? v : acc;  // NaN wins, as in torch.max
    case ReduceOp::Min:
      return (v < acc || v != v) ? v : acc;
    default:
      return acc + v;
  }
}

}  // namespace nn
