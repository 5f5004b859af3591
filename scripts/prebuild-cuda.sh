#!/bin/sh
# The CUDA prebuilt binary: the nvcc build (static cudart, SASS sm_75..sm_90 + PTX, CMakeLists.txt)
# in build-cuda/, stripped and copied beside the CPU one as prebuilds/<platform>-<arch>/cuda.napi.<libc>.node.
# prebuildify cannot make it: it always takes build/Release, which is the CPU build the tests load.
# nnlab's loader (lib/core/binary-choice.ts) picks it only when a driver answers; node-gyp-build,
# which ranks files with a runtime tag ("node.") first, still picks the CPU one.
set -e
cd "$(dirname "$0")/.."
npx --no-install cmake-js compile --out build-cuda --CDNNLAB_CUDA=ON
dir="prebuilds/$(node -p 'process.platform + "-" + process.arch')"
libc=$(node -p 'process.report.getReport().header.glibcVersionRuntime ? "glibc" : "musl"')
mkdir -p "$dir"
strip --strip-all -o "$dir/cuda.napi.$libc.node" build-cuda/Release/nnlab.node
ls -l "$dir"
