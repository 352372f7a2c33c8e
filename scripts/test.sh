#!/usr/bin/env bash
# README command 2: install dependencies, build, fetch real MNIST digits, run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
scripts/fetch_data.sh build/dlfs
cd build
ctest --output-on-failure -j"$(nproc)" --timeout 900
