#!/usr/bin/env bash
# Builds dlfs and its tests with AddressSanitizer + UndefinedBehaviorSanitizer (-DDLFS_SANITIZE=ON)
# in build-asan/ and runs the whole ctest suite there; any sanitizer report aborts the test that
# triggered it, so a clean exit means a clean report.
# Usage: scripts/sanitize.sh [extra ctest arguments, e.g. -LE slow]
set -euo pipefail
cd "$(dirname "$0")/.."
B="${DLFS_ASAN_BUILD:-build-asan}"  # build folder (relative to the repository, or absolute)
cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Release -DDLFS_SANITIZE=ON -DDLFS_TEST_DATA_DIR="$PWD/data" >/dev/null
# Only what ctest runs: the CLI (the integration tests call it) and the test binaries.
targets=(dlfs_cli)
# A folder with a CMakeLists.txt of its own (tests/consumer) is a separate project that the
# consumer tests build against an install; it is not a test module.
for d in tests/*/; do
  [[ -e "${d}CMakeLists.txt" ]] && continue
  compgen -G "$d*.cpp" >/dev/null && targets+=("test_$(basename "$d")")
done
cmake --build "$B" -j"$(nproc)" --target "${targets[@]}"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
cd "$B"
ctest --output-on-failure -j"$(nproc)" --timeout 1800 "$@"
echo "sanitize.sh: ASan + UBSan clean over the ctest suite"
