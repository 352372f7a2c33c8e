// The readers the fuzz targets exercise, as plain functions so that tests/integration/
// test_regressions.cpp replays saved crash inputs through exactly the same code. A clean outcome
// is a return or a std::exception; anything else (a crash, a sanitizer report, a hang) is a bug.
#pragma once
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "dlfs/data/idx.hpp"
#include "dlfs/data/image.hpp"
#include "dlfs/io/npz.hpp"
#include "dlfs/train/checkpoint.hpp"
#include "dlfs/train/model_file.hpp"

namespace dlfs::fuzz {

// Readers that take a path get the bytes through a per-process scratch file.
inline std::string scratch_file(const std::uint8_t* data, std::size_t size, const std::string& suffix) {
  std::string path = "/tmp/dlfs-fuzz-" + std::to_string(::getpid()) + suffix;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return "";
  if (size) std::fwrite(data, 1, size, f);
  std::fclose(f);
  return path;
}

template <class F>
inline void clean(F&& f) {
  try {
    f();
  } catch (const std::exception&) {
  }
}

// IDX images and labels, raw or gzip (the parsers detect gzip by its magic bytes).
inline void idx(const std::uint8_t* data, std::size_t size) {
  clean([&] { parse_idx_images(data, size, "fuzz"); });
  clean([&] { parse_idx_labels(data, size, "fuzz"); });
}

// .npz through load_npz, load_model (its own __config__, or a two-layer architecture as the
// CLI's --net flags would give) and the checkpoint reader.
inline void npz(const std::uint8_t* data, std::size_t size) {
  const std::string path = scratch_file(data, size, ".npz");
  if (path.empty()) return;
  clean([&] { load_npz(path, std::size_t(256) << 20); });
  const nlohmann::json arch = {{"net", "two-layer"}, {"input_size", 4}, {"hidden_size", 3}, {"output_size", 2}};
  clean([&] { load_model<float>(path, &arch); });
  clean([&] { read_checkpoint_info(path); });
  std::remove(path.c_str());
}

// Images through stb_image and the MNIST preparation; the first bytes also drive mnistify directly.
inline void image(const std::uint8_t* data, std::size_t size) {
  const std::string path = scratch_file(data, size, ".img");
  if (path.empty()) return;
  clean([&] { load_digit_image(path); });
  std::remove(path.c_str());
  if (size >= 2) {
    std::size_t w = data[0] % 64 + 1, h = data[1] % 64 + 1;
    if (size - 2 >= w * h) clean([&] { mnistify(data + 2, w, h, "fuzz"); });
  }
}

}  // namespace dlfs::fuzz
