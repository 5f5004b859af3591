// byte_table: y[i] = table[x[i]], the one pass from uint8 images to normalised floats (the table
// holds what cast and affine give for each of the 256 byte values, so the result has their bits
// without the float32 intermediate of the data set's size).
#include "../core/thread_pool.h"
#include "cpu_backend.h"

namespace nn {

void CpuBackend::byte_table(const uint8_t* x, const float* table, float* y, int64_t n) {
  parallel_for(n, grain_for_bytes(5), [=](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) y[i] = table[x[i]];
  });
}

}  // namespace nn
