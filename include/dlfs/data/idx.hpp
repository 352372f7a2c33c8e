// IDX files (the format MNIST and Fashion-MNIST ship in), raw or gzip-compressed.
//
// The reader trusts nothing in the header: the declared dimensions must multiply (without overflow)
// to at most kIdxMaxBytes, and to exactly the number of bytes the file actually holds, otherwise
// it throws std::runtime_error naming the file, what was expected and what was found. gzip input
// is inflated incrementally, so memory grows with the data actually present (never beyond the
// declared size) and a gzip bomb or a lying header cannot trigger a huge allocation.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dlfs/tensor.hpp"

namespace dlfs {

// Magic numbers: 0x00 0x00, type 0x08 (unsigned byte), number of dimensions.
inline constexpr std::uint32_t kIdxImagesMagic = 0x00000803;  // 2051: (N, rows, cols)
inline constexpr std::uint32_t kIdxLabelsMagic = 0x00000801;  // 2049: (N)
inline constexpr std::uint64_t kIdxMaxBytes = std::uint64_t(1) << 30;  // 1 GiB of payload
// At most this many images or labels per file (MNIST has 70,000, EMNIST ByClass 814,255): checked
// on the header, before a gzip stream is inflated, so a 1 MB .gz cannot make dlfs inflate and
// keep a gigabyte (1.37 million images of 28x28 fit under kIdxMaxBytes).
inline constexpr std::uint64_t kIdxMaxItems = 1000000;

// (N, rows, cols) uint8 images; magic 2051.
Tensor<std::uint8_t> read_idx_images(const std::string& path);
// N uint8 labels; magic 2049.
std::vector<std::uint8_t> read_idx_labels(const std::string& path);

// The same parsers over bytes already in memory (raw or gzip); `name` is used in error messages.
// Used by the tests and fuzz targets.
Tensor<std::uint8_t> parse_idx_images(const std::uint8_t* bytes, std::size_t n, const std::string& name);
std::vector<std::uint8_t> parse_idx_labels(const std::uint8_t* bytes, std::size_t n, const std::string& name);

// Writers; a path ending in ".gz" is gzip-compressed. images must be (N, rows, cols).
void write_idx_images(const std::string& path, const Tensor<std::uint8_t>& images);
void write_idx_labels(const std::string& path, const std::vector<std::uint8_t>& labels);

}  // namespace dlfs
