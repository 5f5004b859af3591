#include "conv_window_pack.h"

namespace nn::cpu {

bool panel_window(const int64_t* off, PanelWindow* w) {
  int64_t lo = -1, hi = -1;
  for (int l = 0; l < 16; ++l)
    if (off[l] >= 0) {
      lo = lo < 0 || off[l] < lo ? off[l] : lo;
      hi = off[l] > hi ? off[l] : hi;
    }
  w->start = lo < 0 ? 0 : lo;
  w->mask = w->load = 0;
  for (int l = 0; l < 16; ++l) w->idx[l] = 0;
  if (lo < 0) return true;  // all zero columns: nothing loaded
  if (hi - lo >= 16) return false;
  w->load = static_cast<uint16_t>((1u << (hi - lo + 1)) - 1);
  for (int l = 0; l < 16; ++l)
    if (off[l] >= 0) {
      w->idx[l] = static_cast<int32_t>(off[l] - lo);
      w->mask = static_cast<uint16_t>(w->mask | (1u << l));
    }
  return true;
}

}  // namespace nn::cpu
