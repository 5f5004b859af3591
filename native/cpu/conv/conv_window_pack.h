// Packing a B panel (gemm.h layout, out[row * 16 + lane]) whose 16 columns all read within one
// window of 16 consecutive elements of each source row: dy's columns on a grid panel of the
// gathered input gradient (consecutive positions, with zero columns where the grid row is wider
// than the output row) and the span kernel's panels of 16 positions. Each row is then one masked
// load of the window and one permute (zeros where a column reads nothing), instead of the AVX2
// lane groups' masked 8-float runs. The packed floats are the same bits either way.
#pragma once
#include <cstdint>

namespace nn::cpu {

// Lane l of every packed row is src_row[start + idx[l]] where mask has bit l, else 0; the load
// reads only the lanes of `load` (the window's used part), so it never leaves the columns'
// own elements.
struct PanelWindow {
  alignas(64) int32_t idx[16];
  int64_t start;
  uint16_t mask, load;
};

// The window of 16 column offsets off[l] (< 0: a zero column); false when they span more than 16
// elements.
bool panel_window(const int64_t* off, PanelWindow* w);

// out[r * 16 + l] for rows r < nrows, row r read from src + r * ld (AVX-512: call only after
// use_avx512()).
void pack_window_panel_avx512(const float* src, int64_t ld, int64_t nrows, const PanelWindow& w, float* out);

}  // namespace nn::cpu
