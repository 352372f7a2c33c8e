#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) in build-fuzz/ and runs each one for a bounded
# time from the committed seeds in fuzz/corpus/<target>/. Any crash, sanitizer report, timeout or
# out-of-memory input is kept in tests/regressions/<target>/ (where test_regressions replays it in
# the normal test suite) and makes this script fail.
# Usage: scripts/fuzz.sh [seconds per target, default 60]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-60}"
# FUZZ_SEED fixes libFuzzer's mutation sequence and FUZZ_RUNS bounds it, so CI explores exactly
# the inputs a developer's run of the same command explored (a finding is reproducible, not luck).
# FUZZ_SEED=0 picks a random seed, for open-ended fuzzing.
FUZZ_SEED="${FUZZ_SEED:-1}"
FUZZ_RUNS="${FUZZ_RUNS:--1}"
B="${DLFS_FUZZ_BUILD:-build-fuzz}"  # build folder (relative to the repository, or absolute)
TARGETS=(idx npz image)
# libFuzzer's default input limit is the largest seed (about 4 KB): npz needs room for files such
# as a __config__ nested 10,000 levels deep without compression (50 KB; issue 16).
declare -A MAX_LEN=([npz]=1048576)
command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found (scripts/install_deps.sh --fuzz)" >&2; exit 1; }

SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CC=clang CXX=clang++ cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDLFS_FUZZ=ON -DDLFS_TESTS=OFF \
  -DCMAKE_CXX_FLAGS="$SAN" >/dev/null
cmake --build "$B" -j"$(nproc)" --target "${TARGETS[@]/#/fuzz_}"

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
failed=()
for t in "${TARGETS[@]}"; do
  work="$B/corpus/$t"   # grows while fuzzing; the committed seeds stay small
  # A bounded run (FUZZ_RUNS) starts from the committed seeds alone, as on a fresh clone: inputs
  # left over from earlier runs would send the same seed down a different path.
  if [[ "$FUZZ_RUNS" != -1 ]]; then rm -rf "$work"; fi
  mkdir -p "$work" "tests/regressions/$t"
  echo "fuzz.sh: fuzz_$t for ${SECS}s"
  if ! "$B/fuzz/fuzz_$t" "$work" "fuzz/corpus/$t" -max_total_time="$SECS" -seed="$FUZZ_SEED" -runs="$FUZZ_RUNS" -rss_limit_mb=2048 -timeout=10 ${MAX_LEN[$t]:+-max_len=${MAX_LEN[$t]}} \
       -malloc_limit_mb=2048 -artifact_prefix="tests/regressions/$t/" -print_final_stats=1 \
       >"$B/fuzz_$t.log" 2>&1; then
    failed+=("$t")
    tail -n 40 "$B/fuzz_$t.log" >&2
  fi
  grep -E "^Done|^stat::number_of_executed_units|^stat::peak_rss_mb" "$B/fuzz_$t.log" | sed "s/^/  /" || true
done
if ((${#failed[@]})); then
  echo "fuzz.sh: FAILED: ${failed[*]}; the inputs are in tests/regressions/<target>/ (commit them, fix the reader," \
       "and test_regressions replays them)" >&2
  exit 1
fi
echo "fuzz.sh: no crashes in ${#TARGETS[@]} targets (${SECS}s each)"
