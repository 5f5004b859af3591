#!/bin/sh
# AddressSanitizer + UndefinedBehaviorSanitizer build of the addon (build-asan/), and the
# native-facing tests run against it. Node itself is not instrumented, so libasan is preloaded;
# leak detection is off (V8 and N-API keep allocations until exit by design); any ASan or UBSan
# report aborts the test process, which fails the run.
#   scripts/build-asan.sh            build, then run the tests
#   scripts/build-asan.sh --build    build only
#   scripts/build-asan.sh --test     run the tests against an existing build-asan/
set -eu
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--test" ]; then
  npx --no-install cmake-js compile --out build-asan --CDNNLAB_SANITIZE=ON --CDCMAKE_BUILD_TYPE=RelWithDebInfo
fi
[ "${1:-}" = "--build" ] && exit 0

LIBASAN=$(${CXX:-g++} -print-file-name=libasan.so)
export LD_PRELOAD="$LIBASAN"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:allocator_may_return_null=1:detect_odr_violation=0"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1"
export NNLAB_ADDON="$PWD/build-asan/Release/nnlab.node"
# The bad-call loop and the fuzzers get a short budget: the sanitizers slow every call down.
export NNLAB_BADCALL_SECONDS="${NNLAB_BADCALL_SECONDS:-20}" NNLAB_FUZZ_SECONDS="${NNLAB_FUZZ_SECONDS:-3}"
# The op suite and the reliability tests. Left out: the 10,000-step RSS test (the sanitizers'
# own memory is what it would measure) and the CLI run-folder races (child processes training
# under ASan outlast their timeouts); both check behaviour, not memory safety.
reliability=$(ls test/reliability/*.test.ts | grep -v -e rss-flat -e cli-runs)
# shellcheck disable=SC2086
npx --no-install vitest run --project cpu test/ops $reliability test/memory-arena.test.ts
