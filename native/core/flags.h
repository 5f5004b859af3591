// Every NNLAB_* switch the native core reads, parsed once, in one place. lib/core/env-check.ts
// refuses malformed values before the addon loads, so parsing here can stay lenient: an unset or
// empty variable means the default, and a boolean switch is on for any value other than "0".
// `nnlab devices --json` reports the effective values (flag_report()).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace nn {

struct Flags {
  int threads = 0;                   // NNLAB_THREADS: worker threads (0: one per hardware thread)
  int64_t spin_us = -1;              // NNLAB_SPIN_US: idle spin before a worker sleeps (-1: default)
  bool cpu_arena = true;             // NNLAB_CPU_ARENA=0 turns off the host arena for small buffers
  bool cpu_huge_pages = true;        // NNLAB_HUGE_PAGES=0: no transparent huge pages for the arena
  int64_t cpu_cache_mb = -1;         // NNLAB_CPU_CACHE_MB: freed memory kept resident (-1: default)
  int64_t conv_cols = 0;             // NNLAB_CONV_COLS: im2col column target (0: default)
  bool gemm_generic = false;         // NNLAB_GEMM_KERNEL=generic: the portable GEMM kernels
  bool disable_avx2 = false;         // NNLAB_DISABLE_AVX2
  bool disable_avx512 = false;       // NNLAB_DISABLE_AVX512
  bool no_winograd = false;          // NNLAB_NO_WINOGRAD
  bool no_bww3x3 = false;            // NNLAB_NO_BWW3X3
  bool no_row_tiles = false;         // NNLAB_NO_ROW_TILES
  bool no_bwi_pairs = false;         // NNLAB_NO_BWI_PAIRS
  bool no_conv_pool_kernel = false;  // NNLAB_NO_CONV_POOL_KERNEL
  std::string conv_algo;             // NNLAB_CONV_ALGO: force one convolution algorithm by name ("": choose)
};

// The switches of this process, read from the environment at first use.
const Flags& flags();

// (variable, effective value) for every switch, in the order of Flags.
std::vector<std::pair<std::string, std::string>> flag_report();

}  // namespace nn
