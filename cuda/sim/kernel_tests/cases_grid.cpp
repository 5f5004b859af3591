// Cases at a GPU's grid sizes. The simulator normally caps grid-stride kernels at 8 blocks (it
// pays per simulated thread); run with NNLAB_SIM_MAX_BLOCKS=8192 these launch thousands of
// blocks, as on a GPU, so index arithmetic that only goes wrong past the first few blocks (a
// 32-bit overflow, a stride that skips the tail) is exercised. test/cuda-kernels.test.ts runs
// them that way and checks the block counts.
#include "harness.h"

namespace kt {

void add_grid_cases(std::vector<Case>& out) {
  // 3000 blocks of 256 threads plus a partial one.
  const int64_t n = 256 * 3000 + 7;
  out.push_back({"grid/arange", kExact, [n](Backend& b) {
                   Mem m(b);
                   float* y = m.out<float>(n);
                   b.arange_f32(y, n, -7.5f, 0.013f);
                   Outputs o;
                   o.add("y", m.get(y, n));
                   return o;
                 }});
  out.push_back({"grid/rand_uniform", kExact, [n](Backend& b) {
                   Mem m(b);
                   float* y = m.out<float>(n);
                   b.rand_uniform(y, n, 99, 5, -1.f, 3.f);
                   Outputs o;
                   o.add("y", m.get(y, n));
                   return o;
                 }});
  // One block per row: 4001 rows.
  out.push_back({"grid/softmax_rows", kElementwise, [](Backend& b) {
                   const int64_t rows = 4001, dim = 37;
                   Mem m(b);
                   const float* x = m.in(uniform(rows * dim, -4.f, 4.f, 7));
                   float* y = m.out<float>(rows * dim);
                   b.softmax(x, y, rows, dim, 1, false);
                   Outputs o;
                   o.add("y", m.get(y, rows * dim));
                   return o;
                 }});
}

}  // namespace kt
