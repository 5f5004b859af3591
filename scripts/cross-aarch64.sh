#!/usr/bin/env bash
# Proves the portable source build: cross-compiles the CPU core and its native kernel tests
# (native/tests) for aarch64 with Debian's g++-aarch64-linux-gnu, where the x86 kernel files and
# flags are left out (cmake/cpu_sources.cmake), and runs the tests under qemu-aarch64. They check
# GEMM, conv2d, pooling, reductions, softmax, Adam and k-NN against double-precision references,
# and that the run-time dispatch reports the portable path ("generic").
#   scripts/cross-aarch64.sh [build dir, default build-aarch64]
# Needs: apt-get install g++-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user cmake make
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build-aarch64}
for tool in aarch64-linux-gnu-g++ qemu-aarch64 cmake; do
  command -v "$tool" >/dev/null || {
    echo "cross-aarch64: $tool not found (apt-get install g++-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user cmake)" >&2
    exit 1
  }
done
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S native/tests -B "$out" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/toolchain-aarch64-linux-gnu.cmake" "${launcher[@]}" >/dev/null
cmake --build "$out" -j "$(nproc)"
aarch64-linux-gnu-readelf -h "$out/nnlab_cpu_kernel_tests" | grep -q "AArch64" || {
  echo "cross-aarch64: $out/nnlab_cpu_kernel_tests is not an aarch64 binary" >&2
  exit 1
}
# Two threads, so the thread pool's partitioning is exercised as on a small ARM board.
NNLAB_THREADS=2 timeout 300 qemu-aarch64 -L /usr/aarch64-linux-gnu "$out/nnlab_cpu_kernel_tests" --expect-isa generic
