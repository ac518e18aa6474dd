#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what it needs, then runs
#   1. the C tests (ctest) with -Werror,
#   2. the same C tests under AddressSanitizer + UndefinedBehaviorSanitizer,
#   3. the Python tests (pytest) against the installed package.
# Usage: bash tools/test.sh      (README "Run the tests"; .ci/run calls exactly this)
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --upgrade pip
python3 -m pip install --quiet -e ".[test]"

for build in release sanitize; do
  flags=(-DCMAKE_BUILD_TYPE=Release)
  [ "$build" = sanitize ] && flags=(-DCMAKE_BUILD_TYPE=Debug -DEDGESTT_SANITIZE=ON)
  cmake -S . -B "build/$build" "${flags[@]}" >/dev/null
  cmake --build "build/$build" -j "$(nproc)" >/dev/null
  echo "== C tests ($build)"
  (cd "build/$build" && ctest --output-on-failure)
done

echo "== Python tests"
python3 -m pytest tests -ra
