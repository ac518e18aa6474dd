#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what it needs, then runs
#   1. the C tests (ctest) with -Werror,
#   2. the same C tests under AddressSanitizer + UndefinedBehaviorSanitizer,
#   3. the LM fuzz harnesses (libFuzzer) for EDGESTT_FUZZ_SECONDS each (default 30), when
#      clang is installed (skipped with a note otherwise),
#   4. the Python tests (pytest) against the installed package.
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

echo "== Fuzzing (${EDGESTT_FUZZ_SECONDS:-30} s per harness)"
if command -v clang >/dev/null; then
  CC=clang cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=Debug -DEDGESTT_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
  cmake --build build/fuzz -j "$(nproc)" >/dev/null
  for harness in arpa binary; do
    mkdir -p "build/fuzz/corpus_$harness"
    "build/fuzz/fuzz_$harness" -max_total_time="${EDGESTT_FUZZ_SECONDS:-30}" -max_len=4096 -rss_limit_mb=2048 \
      -print_final_stats=1 "build/fuzz/corpus_$harness" "tests/fuzz/seeds_$harness" 2>&1 | tail -n 3
  done
else
  echo "clang not found: the fuzz harnesses were skipped (apt-get install clang to run them)"
fi

# Last, so that pytest's summary closes the output.
echo "== Python tests"
python3 -m pytest tests -ra
