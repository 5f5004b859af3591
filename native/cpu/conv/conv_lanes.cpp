#include "conv_lanes.h"

#include "../simd/simd.h"

namespace nn::cpu {

bool lanes_apply(const Conv2dArgs& a) {
  return use_avx512() && a.groups == 1 && a.pad_h == 0 && a.pad_w == 0 && a.dil_h == 1 && a.dil_w == 1 && a.c <= 16 &&
         a.k <= 16 && a.c * a.r * a.s <= 256 && a.n >= 8 && a.c * a.h * a.w * 16 * 4 <= (1 << 20);
}

}  // namespace nn::cpu
