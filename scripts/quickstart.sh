#!/usr/bin/env bash
# README command 1: install dependencies, build, fetch real MNIST digits, run `dlfs train` with its
# defaults (the book's seeds' run). Extra arguments are passed to `dlfs train`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
scripts/fetch_data.sh build/dlfs
build/dlfs train --out out/train --save out/train/model.npz "$@"
