#!/bin/sh
# prebuildify 6 only knows node-gyp: it runs `$nodeGyp rebuild --target=... --arch=... --release`
# and then takes the .node file from build/Release. This stand-in ignores those arguments and
# runs the full cmake-js build instead (CMakeLists.txt), which writes build/Release/nnlab.node.
# Extra CMake options can be passed through NNLAB_CMAKE_FLAGS (e.g. "--CDNNLAB_CUDA=ON").
set -e
cd "$(dirname "$0")/.."
rm -f build/Release/*.node
# shellcheck disable=SC2086
exec npx --no-install cmake-js rebuild --out build $NNLAB_CMAKE_FLAGS
