// Runs every CPU kernel case and prints one line per case, then "N passed, N failed".
//   nnlab_cpu_kernel_tests [--expect-isa avx512|avx2|generic] [substring]
// --expect-isa fails the run unless cpu_kernel_isa() reports that path (the aarch64 build must
// report "generic"); the substring keeps only the cases whose name contains it.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "harness.h"

int main(int argc, char** argv) {
  const char* expect_isa = nullptr;
  std::string filter;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--expect-isa") == 0 && i + 1 < argc)
      expect_isa = argv[++i];
    else
      filter = argv[i];
  }
  std::vector<ct::Case> cases;
  ct::add_gemm_cases(cases);
  ct::add_conv_cases(cases);
  ct::add_pool_cases(cases);
  ct::add_reduce_cases(cases);
  ct::add_misc_cases(cases);

  const char* isa = nn::cpu_kernel_isa();
  std::printf("cpu kernel isa: %s\n", isa);
  int passed = 0, failed = 0;
  if (expect_isa && std::strcmp(isa, expect_isa) != 0) {
    std::printf("FAIL isa: expected %s, the dispatch chose %s\n", expect_isa, isa);
    ++failed;
  }
  for (const auto& c : cases) {
    if (!filter.empty() && c.name.find(filter) == std::string::npos) continue;
    ct::Check check(c.name);
    const auto t0 = std::chrono::steady_clock::now();
    try {
      c.run(check);
    } catch (const std::exception& e) {
      check.fail(std::string("threw: ") + e.what());
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%s %s (%.0f ms)\n", check.ok() ? "ok  " : "FAIL", c.name.c_str(), ms);
    (check.ok() ? passed : failed)++;
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
