#!/usr/bin/env bash
# Formats the tree (prettier for TypeScript/JavaScript, clang-format for C++/CUDA), or with
# --check fails when a file is not formatted (CI).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
ts_globs=(lib test bench examples scripts vitest.config.ts)
cxx_files=$(git ls-files 'native/*.cpp' 'native/*.h' 'cuda/*.cpp' 'cuda/*.h' 'cuda/*.cu' 'cuda/*.cuh' 'bench/guard/*.cpp')
existing=()
for g in "${ts_globs[@]}"; do [ -e "$g" ] && existing+=("$g"); done
if [ "$mode" = "--check" ]; then
  npx --no-install prettier --check "${existing[@]}"
  # shellcheck disable=SC2086
  clang-format --dry-run --Werror $cxx_files
else
  npx --no-install prettier --write --log-level warn "${existing[@]}"
  # shellcheck disable=SC2086
  clang-format -i $cxx_files
fi
