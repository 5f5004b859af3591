// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11).
// Counter-based: the value at position i depends only on (seed, counter), so the CPU threads
// and CUDA threads produce the same stream whatever the partition of the work.
//
// Stream convention shared by every fill op: a fill starting at block `offset` gives element i
// the word (i % 4) of block (offset + i / 4). Normals use Box-Muller on the word pairs of a
// block: element i uses block offset + i/4, words (i%4 & ~1) and (i%4 | 1).
#pragma once
#include <cmath>
#include <cstdint>

#include "hd.h"

namespace nn {

struct Philox4 {
  uint32_t v[4];
};

NN_HD uint32_t philox_mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
  uint64_t p = static_cast<uint64_t>(a) * static_cast<uint64_t>(b);
  *hi = static_cast<uint32_t>(p >> 32);
  return static_cast<uint32_t>(p);
}

// One 128-bit block of output for a 64-bit seed and a 64-bit block counter.
NN_HD Philox4 philox4x32_10(uint64_t seed, uint64_t counter) {
  uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32);
  uint32_t c2 = 0, c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, hi1;
    uint32_t lo0 = philox_mulhilo(0xD2511F53u, c0, &hi0);
    uint32_t lo1 = philox_mulhilo(0xCD9E8D57u, c2, &hi1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0;
    c1 = n1;
    c2 = n2;
    c3 = n3;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  Philox4 r;
  r.v[0] = c0;
  r.v[1] = c1;
  r.v[2] = c2;
  r.v[3] = c3;
  return r;
}

// Uniform in [0, 1) with 24 bits of precision (exactly representable in float32).
NN_HD float philox_unit(uint32_t w) { return static_cast<float>(w >> 8) * (1.0f / 16777216.0f); }

// Uniform in (0, 1]: safe for log() in Box-Muller.
NN_HD float philox_unit_open0(uint32_t w) { return static_cast<float>((w >> 8) + 1u) * (1.0f / 16777216.0f); }

NN_HD float philox_uniform_at(uint64_t seed, uint64_t offset, int64_t i, float lo, float hi) {
  Philox4 b = philox4x32_10(seed, offset + static_cast<uint64_t>(i / 4));
  return nn_fadd_rn(lo, nn_fmul_rn(hi - lo, philox_unit(b.v[i % 4])));
}

NN_HD float philox_normal_at(uint64_t seed, uint64_t offset, int64_t i, float mean, float stdv) {
  Philox4 b = philox4x32_10(seed, offset + static_cast<uint64_t>(i / 4));
  int w = static_cast<int>(i % 4) & ~1;
  float u1 = philox_unit_open0(b.v[w]);
  float u2 = philox_unit(b.v[w + 1]);
  // logf/sinf/cosf of the CUDA math library and of glibc may differ in the last bit (both are
  // within 1-2 ulp, not correctly rounded), so normals agree across devices to a few ulp, not
  // bit for bit (the conformance tolerance of rand/normal says so). The arithmetic around them
  // is contraction-proof, so nothing else adds to the difference.
  float r = sqrtf(nn_fmul_rn(-2.0f, logf(u1)));
  float theta = nn_fmul_rn(6.28318530717958647692f, u2);
  float z = (i & 1) ? nn_fmul_rn(r, sinf(theta)) : nn_fmul_rn(r, cosf(theta));
  return nn_fadd_rn(mean, nn_fmul_rn(stdv, z));
}

// Number of 128-bit blocks a fill of n elements consumes: generators advance by this.
NN_HD uint64_t philox_blocks_for(int64_t n) { return static_cast<uint64_t>((n + 3) / 4); }

// Dropout of the (up to) four elements that Philox block b feeds: element i is kept, and scaled,
// when its uniform draw is >= p. Both backends split the work on these blocks.
NN_HD void dropout_block(const float* x, float* y, uint8_t* mask, int64_t n, float p, float scale, uint64_t seed,
                         uint64_t offset, int64_t b) {
  const Philox4 w = philox4x32_10(seed, offset + static_cast<uint64_t>(b));
  const int64_t i0 = b * 4;
  for (int k = 0; k < 4 && i0 + k < n; ++k) {
    const bool keep = philox_unit(w.v[k]) >= p;
    mask[i0 + k] = keep ? 1 : 0;
    y[i0 + k] = keep ? x[i0 + k] * scale : 0.f;
  }
}

}  // namespace nn
