// Per-element updates of the fused optimizer steps, shared by the CPU backend and the CUDA
// kernels. They follow PyTorch 1.13's torch.optim.SGD / Adam / AdamW (single-tensor path)
// operation by operation, so results agree with torch to float32 rounding.
#pragma once
#include <cmath>
#include <cstdint>

#include "hd.h"

namespace nn {

// SGD with momentum, dampening, L2 weight decay and Nesterov, as torch.optim.SGD:
//   d = g + wd * p
//   buf = first_step ? d : momentum * buf + (1 - dampening) * d
//   d = nesterov ? d + momentum * buf : buf
//   p -= lr * d
// With momentum == 0 the buffer is neither read nor written (it may be absent).
NN_HD void sgd_update(float& p, float g, float* buf, float lr, float momentum, float dampening, float weight_decay,
                      bool nesterov, bool first_step) {
  float d = weight_decay != 0.f ? g + weight_decay * p : g;
  if (momentum != 0.f) {
    float b = first_step ? d : momentum * *buf + (1.f - dampening) * d;
    *buf = b;
    d = nesterov ? d + momentum * b : b;
  }
  p = p - lr * d;
}

// Scalars of one Adam step that do not depend on the element. Torch computes the bias
// corrections in double precision on the host (Python floats), so we do too.
struct AdamCoeffs {
  float step_size;  // lr / (1 - beta1^step)
  float bc2_sqrt;   // sqrt(1 - beta2^step)
  float decay;      // AdamW: 1 - lr * wd (1 for plain Adam)
};

inline AdamCoeffs adam_coeffs(float lr, float beta1, float beta2, float weight_decay, bool decoupled, int64_t step) {
  double s = static_cast<double>(step);
  AdamCoeffs c;
  c.step_size = static_cast<float>(static_cast<double>(lr) / (1.0 - std::pow(static_cast<double>(beta1), s)));
  c.bc2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(static_cast<double>(beta2), s)));
  c.decay = decoupled ? 1.f - lr * weight_decay : 1.f;
  return c;
}

// Adam (decoupled = false: L2 decay folded into the gradient) and AdamW (decoupled = true: the
// weights shrink by 1 - lr*wd before the update). Torch updates the first moment with mul/add
// for Adam and with lerp for AdamW; both forms are kept to match its rounding.
NN_HD void adam_update(float& p, float g, float& m, float& v, float beta1, float beta2, float eps, float weight_decay,
                       bool decoupled, AdamCoeffs c) {
  if (decoupled) {
    p = p * c.decay;
    m = m + (1.f - beta1) * (g - m);  // torch.lerp with weight < 0.5
  } else {
    if (weight_decay != 0.f) g = g + weight_decay * p;
    m = m * beta1 + (1.f - beta1) * g;
  }
  v = v * beta2 + ((1.f - beta2) * g) * g;  // addcmul's order
  float denom = sqrtf(v) / c.bc2_sqrt + eps;
  p = p + (-c.step_size * m) / denom;  // addcdiv's order
}

// One element of a weight average, avg <- keep * avg + take * p, rounded exactly as the three
// elementwise ops it replaces (affine(avg, keep, 0), affine(p, take, 0), add): each product is
// rounded to float on its own (the `+ 0.f` is the affine ops' beta; it also turns -0 into +0 as
// they do, and keeps a compiler from fusing a product into the final add), then the sum.
NN_HD void ema_update(float& avg, float p, float keep, float take) {
  const float a = keep * avg + 0.f;
  const float b = take * p + 0.f;
  avg = a + b;
}

}  // namespace nn
