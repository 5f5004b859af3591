#include "flags.h"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace nn {
namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

bool on(const char* name) {
  const char* v = env(name);
  return v && std::string(v) != "0";
}

int64_t integer(const char* name, int64_t fallback) {
  const char* v = env(name);
  if (!v) return fallback;
  char* end = nullptr;
  long long n = std::strtoll(v, &end, 10);
  return end && *end == '\0' && n >= 0 ? static_cast<int64_t>(n) : fallback;
}

Flags read_flags() {
  Flags f;
  f.threads = static_cast<int>(std::min<int64_t>(integer("NNLAB_THREADS", 0), 256));
  f.spin_us = std::min<int64_t>(integer("NNLAB_SPIN_US", -1), 1000000);
  f.cpu_arena = !(env("NNLAB_CPU_ARENA") && std::string(env("NNLAB_CPU_ARENA")) == "0");
  f.cpu_huge_pages = !(env("NNLAB_HUGE_PAGES") && std::string(env("NNLAB_HUGE_PAGES")) == "0");
  f.cpu_cache_mb = integer("NNLAB_CPU_CACHE_MB", -1);
  f.conv_cols = integer("NNLAB_CONV_COLS", 0);
  f.gemm_generic = env("NNLAB_GEMM_KERNEL") && std::string(env("NNLAB_GEMM_KERNEL")) == "generic";
  f.disable_avx2 = on("NNLAB_DISABLE_AVX2");
  f.disable_avx512 = on("NNLAB_DISABLE_AVX512");
  f.no_winograd = on("NNLAB_NO_WINOGRAD");
  f.no_bww3x3 = on("NNLAB_NO_BWW3X3");
  f.no_row_tiles = on("NNLAB_NO_ROW_TILES");
  f.no_bwi_pairs = on("NNLAB_NO_BWI_PAIRS");
  f.no_conv_pool_kernel = on("NNLAB_NO_CONV_POOL_KERNEL");
  if (const char* v = env("NNLAB_CONV_ALGO")) f.conv_algo = v;
  return f;
}

}  // namespace

const Flags& flags() {
  static const Flags f = read_flags();
  return f;
}

std::vector<std::pair<std::string, std::string>> flag_report() {
  const Flags& f = flags();
  auto b = [](bool v) { return std::string(v ? "1" : "0"); };
  auto n = [](int64_t v) { return v < 0 ? std::string("default") : std::to_string(v); };
  return {
      {"NNLAB_THREADS", f.threads > 0 ? std::to_string(f.threads) : "default"},
      {"NNLAB_SPIN_US", n(f.spin_us)},
      {"NNLAB_CPU_ARENA", b(f.cpu_arena)},
      {"NNLAB_HUGE_PAGES", b(f.cpu_huge_pages)},
      {"NNLAB_CPU_CACHE_MB", n(f.cpu_cache_mb)},
      {"NNLAB_CONV_COLS", f.conv_cols > 0 ? std::to_string(f.conv_cols) : "default"},
      {"NNLAB_GEMM_KERNEL", f.gemm_generic ? "generic" : "auto"},
      {"NNLAB_DISABLE_AVX2", b(f.disable_avx2)},
      {"NNLAB_DISABLE_AVX512", b(f.disable_avx512)},
      {"NNLAB_NO_WINOGRAD", b(f.no_winograd)},
      {"NNLAB_NO_BWW3X3", b(f.no_bww3x3)},
      {"NNLAB_NO_ROW_TILES", b(f.no_row_tiles)},
      {"NNLAB_NO_BWI_PAIRS", b(f.no_bwi_pairs)},
      {"NNLAB_NO_CONV_POOL_KERNEL", b(f.no_conv_pool_kernel)},
      {"NNLAB_CONV_ALGO", f.conv_algo.empty() ? "auto" : f.conv_algo},
  };
}

}  // namespace nn
