// NumPy .npy / .npz files, so models and arrays move between dlfs and Python (np.load/np.savez).
// Only what dlfs needs: little-endian, C order, dtypes <f4 <f8 |u1 <i4 <i8 <u8. Files are hostile
// input: every size in them is checked against the real data before anything is allocated.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dlfs/tensor.hpp"

namespace dlfs {

// One array as stored in a .npy file: raw little-endian bytes in C (row-major) order.
struct NpyArray {
  std::string name;   // member name in the .npz without ".npy" (e.g. "W1")
  std::string dtype;  // NumPy descr: "<f4", "<f8", "|u1", "<i4", "<i8", "<u8"
  Shape shape;        // {} is a 0-d array (one value)
  std::vector<std::uint8_t> bytes;

  std::size_t numel() const { return shape_numel(shape); }
};

// Bytes per element of a supported dtype; throws std::invalid_argument for any other descr.
std::size_t npy_itemsize(const std::string& dtype);

// The dtype string matching T (float -> "<f4", double -> "<f8", std::uint8_t -> "|u1",
// std::int32_t -> "<i4", std::int64_t -> "<i8", std::uint64_t -> "<u8").
template <class T>
std::string npy_dtype_of();

// Tensor -> NpyArray (copies). Instantiated for float, double, uint8, int32, int64, uint64.
template <class T>
NpyArray to_npy(const std::string& name, const Tensor<T>& t);
// A 1-D integer vector (labels, indices, counters).
NpyArray to_npy(const std::string& name, const std::vector<std::int64_t>& v);
NpyArray to_npy(const std::string& name, const std::vector<std::uint64_t>& v);

// NpyArray -> Tensor<T>. The dtype must match T exactly (no silent float64 -> float32):
// throws std::runtime_error("W1: expected dtype <f4, found <f8").
template <class T>
Tensor<T> npy_as(const NpyArray& a);

// A JSON document stored as a 1-D uint8 array of its UTF-8 text, which np.load reads back as
// bytes(arr).decode() -- the simplest form that needs no pickle.
NpyArray json_entry(const std::string& name, const nlohmann::json& j);
nlohmann::json parse_json_entry(const NpyArray& a);

// One .npy file image (header + data), and back. `where` names the source in error messages.
std::vector<std::uint8_t> npy_encode(const NpyArray& a);
NpyArray npy_decode(const std::uint8_t* data, std::size_t size, const std::string& where);

// Writes arrays as an .npz (a zip of "<name>.npy" members, stored or deflated like
// np.savez / np.savez_compressed) atomically: the old file survives any failure.
// Throws std::invalid_argument for empty/duplicate names, unknown dtypes or a byte count that
// does not match the shape.
void save_npz(const std::string& path, const std::vector<NpyArray>& arrays, bool compressed = false);

// One member of an .npz as its .npy header declares it, before any of its data is read.
struct NpyMember {
  std::string name;  // without ".npy"
  std::string dtype;
  Shape shape;
  std::size_t data_bytes = 0;  // what the shape needs; equal to the member's real size
};

// An open .npz whose members' .npy headers are read and checked on opening, while their data is
// inflated only by read(). A 2 MB file can declare gigabytes (a deflated run of zeros), so a
// loader compares each member's declared shape and dtype with what it needs, and skips the
// members it does not need, before anything is inflated. Errors are those of load_npz.
class NpzFile {
 public:
  // Refuses archives whose members declare more than max_total_bytes in all.
  explicit NpzFile(const std::string& path, std::size_t max_total_bytes = std::size_t(2) << 30);
  ~NpzFile();
  NpzFile(NpzFile&&) noexcept;
  NpzFile& operator=(NpzFile&&) noexcept;

  const std::string& path() const;
  const std::vector<NpyMember>& members() const;
  const NpyMember* find(const std::string& name) const;  // nullptr when absent
  // Inflates one member (CRC checked) into native little-endian C order; throws if absent.
  NpyArray read(const std::string& name) const;
  // A JSON entry (see json_entry): refused before reading unless it is a 1-D |u1 member of at
  // most max_bytes, and refused before parsing when nested deeper than kMaxJsonDepth.
  nlohmann::json read_json(const std::string& name, std::size_t max_bytes = std::size_t(1) << 20) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Reads every member of an .npz written by NumPy or by save_npz. Throws std::runtime_error naming
// the file, the member and what was expected/found for anything malformed. Refuses archives whose
// arrays add up to more than max_total_bytes when uncompressed.
std::map<std::string, NpyArray> load_npz(const std::string& path,
                                         std::size_t max_total_bytes = std::size_t(2) << 30);

}  // namespace dlfs
