#include "conv_gather.h"

namespace nn::cpu {

void build_lane_group(const int64_t* off, int nvalid, LaneGroup* g) {
  for (int s = 0; s < 8; ++s)
    for (int l = 0; l < 8; ++l) g->mask[s][l] = 0;
  g->ns = 0;
  g->reach_lo = g->reach_hi = 0;
  int last = -2;  // lane of the last covered column
  for (int l = 0; l < 8 && l < nvalid; ++l) {
    if (off[l] < 0) continue;
    if (!(g->ns > 0 && last == l - 1 && off[l] == off[l - 1] + 1)) g->delta[g->ns++] = off[l] - l;
    g->mask[g->ns - 1][l] = -1;
    last = l;
  }
  for (int s = 0; s < g->ns; ++s) {
    const int64_t d = g->delta[s];
    if (s == 0 || d < g->reach_lo) g->reach_lo = d;
    if (s == 0 || d + 8 > g->reach_hi) g->reach_hi = d + 8;
  }
  if (g->ns == 0) g->reach_hi = 8;  // padding runs still load a window at offset 0
  for (int s = g->ns; s < 8; ++s) g->delta[s] = g->ns > 0 ? g->delta[0] : 0;
}

void build_lane_groups(const int64_t* coloff, int64_t ncols, LaneGroup* out) {
  for (int64_t c = 0, i = 0; c < ncols; c += 8, ++i) {
    const int64_t left = ncols - c;
    build_lane_group(coloff + c, left < 8 ? static_cast<int>(left) : 8, out + i);
  }
}

}  // namespace nn::cpu
