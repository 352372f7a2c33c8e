// Private to src/io: the .npy header (magic, version, Python-dict text), split from the data so
// load_npz can validate a member's shape against its real size before allocating anything.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "dlfs/tensor.hpp"

namespace dlfs::npy_detail {

// Bytes a header needs before its length is known: magic (6) + version (2) + length (2 or 4).
inline constexpr std::size_t kPreambleMax = 12;
// A header dict is ~70 bytes for dlfs' arrays; NumPy itself refuses more than 10000 by default.
inline constexpr std::size_t kMaxHeaderBytes = 65536;

struct Header {
  std::string dtype;      // normalised ("<u1" -> "|u1")
  Shape shape;
  std::size_t total = 0;  // preamble + dict, i.e. offset of the first data byte
  std::size_t data_bytes = 0;
};

// From the first min(kPreambleMax, n) bytes: the total header size. Throws if the magic or
// version is wrong or the length is beyond kMaxHeaderBytes.
std::size_t header_size(const std::uint8_t* p, std::size_t n, const std::string& where);

// Parses a complete header (n >= header_size). The data size is computed with overflow checks.
Header parse_header(const std::uint8_t* p, std::size_t n, const std::string& where);

}  // namespace dlfs::npy_detail
