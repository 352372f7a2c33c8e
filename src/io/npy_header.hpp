// Private to src/io: the .npy header (magic, version, Python-dict text), split from the data so
// load_npz can validate a member's shape against its real size before allocating anything.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dlfs/tensor.hpp"

namespace dlfs::npy_detail {

// Bytes a header needs before its length is known: magic (6) + version (2) + length (2 or 4).
inline constexpr std::size_t kPreambleMax = 12;
// A header dict is ~70 bytes for dlfs' arrays; NumPy itself refuses more than 10000 by default.
inline constexpr std::size_t kMaxHeaderBytes = 65536;

struct Header {
  std::string dtype;      // normalised to dlfs' little-endian names ("<u1" -> "|u1", ">f4" -> "<f4")
  Shape shape;
  bool fortran_order = false;  // the data is column-major (NumPy writes this for a transpose)
  bool swap_bytes = false;     // the data is big-endian (">f4", ">f8", ...)
  std::size_t total = 0;  // preamble + dict, i.e. offset of the first data byte
  std::size_t data_bytes = 0;
};

// Text from a file, made safe for a one-line error message: bytes outside printable ASCII
// (newlines, control characters, non-ASCII) become \xNN.
std::string printable(const std::uint8_t* p, std::size_t n);
inline std::string printable(const std::string& s) {
  return printable(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// From the first min(kPreambleMax, n) bytes: the total header size. Throws if the magic or
// version is wrong or the length is beyond kMaxHeaderBytes.
std::size_t header_size(const std::uint8_t* p, std::size_t n, const std::string& where);

// Parses a complete header (n >= header_size). The data size is computed with overflow checks.
Header parse_header(const std::uint8_t* p, std::size_t n, const std::string& where);

// Turns data read under header h into what dlfs keeps: little-endian and C order (row-major).
// NumPy writes fortran_order True whenever an array is a transpose (the book's sample_weight.pkl
// holds such arrays), and '>' dtypes on big-endian machines; both are converted here, once, on
// load, so everything past the loader sees one layout. bytes.size() must be h.data_bytes.
void to_native_c_order(const Header& h, std::vector<std::uint8_t>& bytes);

}  // namespace dlfs::npy_detail
