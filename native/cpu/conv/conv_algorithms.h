// The table of convolution algorithms the CPU backend chooses from (conv2d.cpp): for each pass a
// predicate saying whether the algorithm handles the shape, and the kernel, which may still
// decline at run time (returns false). A null pair means the algorithm does not implement that
// pass. NNLAB_CONV_ALGO=name forces one algorithm wherever it applies.
#pragma once

#include "../../backend.h"

namespace nn::cpu {

struct ConvAlgorithm {
  const char* name;
  bool (*applies_forward)(const Conv2dArgs&);
  bool (*forward)(const Conv2dArgs&, const float* x, const float* w, const float* bias, float* y);
  bool (*applies_input)(const Conv2dArgs&);
  bool (*backward_input)(const Conv2dArgs&, const float* dy, const float* w, float* dx);
  bool (*applies_weight)(const Conv2dArgs&);
  bool (*backward_weight)(const Conv2dArgs&, const float* x, const float* dy, float* dw);
};

// The algorithm the dispatcher tries first for a pass (0 forward, 1 input gradient, 2 weight
// gradient) and shape: NNLAB_CONV_ALGO's when it applies, else the table's first that applies.
// Kernels may still decline at run time (weights that are not all finite), which this ignores.
const char* first_conv_algorithm(int pass, const Conv2dArgs& a);

}  // namespace nn::cpu
