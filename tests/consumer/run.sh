#!/usr/bin/env bash
# ctest driver for the consumer tests (label "consumer"); see tests/consumer_tests.cmake.
#   run.sh install    BUILD PREFIX            cmake --install BUILD into a fresh PREFIX
#   run.sh cmake      BUILD PREFIX WORK       consumer via find_package(dlfs CONFIG REQUIRED)
#   run.sh pkgconfig  BUILD PREFIX WORK LIBDIR consumer via g++ $(pkg-config --cflags --libs dlfs)
#   run.sh subdir     SOURCE WORK             consumer configured with add_subdirectory(SOURCE),
#                                             then with FetchContent
#   run.sh deb        BUILD WORK VERSION      cpack -G DEB, then dpkg-deb -c/-I and a consumer
#                                             built against the package's extracted files
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mode="$1"; shift
die() { echo "consumer test ($mode): $*" >&2; exit 1; }

consumer_cmake() {  # consumer_cmake PREFIX WORK: configure, build and run against PREFIX
  rm -rf "$2" && mkdir -p "$2"
  cmake -S "$here" -B "$2/build" -DCMAKE_PREFIX_PATH="$1" -DCMAKE_BUILD_TYPE=Release >"$2/configure.log" 2>&1 \
    || { cat "$2/configure.log" >&2; die "configuring against $1 failed"; }
  cmake --build "$2/build" >"$2/build.log" 2>&1 || { cat "$2/build.log" >&2; die "building failed"; }
  # The target found must be the installed one, not a source or build tree.
  grep -q "dlfs_DIR:PATH=$1/" "$2/build/CMakeCache.txt" || die "dlfs_DIR does not point into $1"
  "$2/build/consumer" "$2/model.npz"
  [[ -s "$2/model.npz" ]] || die "no model file written"
}

case "$mode" in
  install)
    build="$1" prefix="$2"
    rm -rf "$prefix"
    cmake --install "$build" --prefix "$prefix" >/dev/null
    for f in bin/dlfs include/dlfs/nets/net.hpp include/dlfs/train/model_file.hpp; do
      [[ -e "$prefix/$f" ]] || die "$prefix/$f was not installed"
    done
    ;;
  cmake)
    build="$1" prefix="$2" work="$3"
    # No architecture or kernel flags may reach consumers through the exported targets.
    if grep -nE -- '-march|-mtune|-mavx|-ffast-math|-fno-math-errno|-O3' "$prefix"/lib*/cmake/dlfs/*.cmake "$prefix"/lib*/pkgconfig/dlfs.pc; then
      die "compile flags leak into the installed CMake package or dlfs.pc"
    fi
    consumer_cmake "$prefix" "$work"
    "$prefix/bin/dlfs" --help >/dev/null || die "installed CLI does not run"
    ;;
  pkgconfig)
    build="$1" prefix="$2" work="$3" libdir="$4"
    rm -rf "$work" && mkdir -p "$work"
    # Copy the prefix so a second location proves dlfs.pc is relocatable (${pcfiledir}).
    cp -a "$prefix" "$work/moved"
    export PKG_CONFIG_PATH="$work/moved/$libdir/pkgconfig"
    flags="$(pkg-config --cflags --libs dlfs)" || die "pkg-config does not know dlfs"
    [[ "$flags" == *"$work/moved/"* ]] || die "dlfs.pc does not follow its own location: $flags"
    # shellcheck disable=SC2086
    g++ -std=c++20 -O1 "$here/main.cpp" $flags -o "$work/consumer" || die "g++ with pkg-config flags failed: $flags"
    "$work/consumer" "$work/model.npz"
    ;;
  subdir)
    source="$1" work="$2"
    rm -rf "$work" && mkdir -p "$work"
    # Configuring is the check (dlfs::dlfs exists, no tests/examples/install rules); building would
    # recompile all of dlfs a second time.
    for fetch in OFF ON; do
      cmake -S "$here" -B "$work/build-$fetch" -DDLFS_SUBDIR="$source" -DDLFS_FETCHCONTENT=$fetch \
        >"$work/configure-$fetch.log" 2>&1 \
        || { cat "$work/configure-$fetch.log" >&2; die "configuring with DLFS_FETCHCONTENT=$fetch failed"; }
      grep -q "consumer" "$work/build-$fetch/Makefile" || die "no consumer target generated (FETCHCONTENT=$fetch)"
    done
    ;;
  deb)
    build="$1" work="$2" version="$3"
    rm -rf "$work" && mkdir -p "$work"
    cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1 \
      || { cat "$work/cpack.log" >&2; die "cpack -G DEB failed"; }
    debs=("$work"/out/*.deb)
    [[ ${#debs[@]} -eq 1 && -f "${debs[0]}" ]] || die "expected one .deb in $work/out, found: ${debs[*]}"
    deb="${debs[0]}"
    dpkg-deb -c "$deb" | awk '{print $NF}' >"$work/contents.txt"
    for p in ./usr/bin/dlfs ./usr/include/dlfs/nets/net.hpp ./usr/include/dlfs/tensor.hpp \
             ./usr/lib/libdlfs_core.a ./usr/lib/libdlfs_train.a ./usr/lib/cmake/dlfs/dlfsConfig.cmake \
             ./usr/lib/cmake/dlfs/dlfsConfigVersion.cmake ./usr/lib/cmake/dlfs/dlfsTargets.cmake \
             ./usr/lib/pkgconfig/dlfs.pc; do
      grep -qxF "$p" "$work/contents.txt" || { cat "$work/contents.txt" >&2; die "$deb lacks $p"; }
    done
    field() { dpkg-deb -f "$deb" "$1"; }
    [[ "$(field Package)" == dlfs ]] || die "Package is '$(field Package)', expected dlfs"
    [[ "$(field Version)" == "$version" ]] || die "Version is '$(field Version)', expected $version"
    deps="$(field Depends)"
    for d in libopenblas-dev zlib1g-dev libzip-dev nlohmann-json3-dev; do
      [[ "$deps" == *"$d"* ]] || die "Depends '$deps' lacks $d"
    done
    dpkg-deb -I "$deb" >/dev/null || die "dpkg-deb -I cannot read $deb"
    # Installing needs root; extracting gives the same tree, and a consumer built against it shows
    # the packaged CMake files work from wherever the package's /usr is.
    dpkg-deb -x "$deb" "$work/root"
    consumer_cmake "$work/root/usr" "$work/consumer"
    ;;
  *) die "unknown mode" ;;
esac
echo "consumer test ($mode): ok"
