// .npy encoding/decoding and the Tensor <-> NpyArray conversions.
#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "dlfs/io/npz.hpp"
#include "dlfs/json_depth.hpp"
#include "npy_header.hpp"

static_assert(std::endian::native == std::endian::little, "dlfs .npy I/O assumes a little-endian host");

namespace dlfs {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLen = 6;
const char* const kKnownDtypes = "<f4, <f8, |u1, <i4, <i8, <u8";

// A strict reader for the one Python literal NumPy writes:
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class DictParser {
 public:
  DictParser(const std::string& text, const std::string& where) : s_(text), where_(where) {}

  void parse(std::string& descr, bool& fortran, Shape& shape) {
    bool have_descr = false, have_fortran = false, have_shape = false;
    skip_ws();
    expect('{');
    skip_ws();
    while (peek() != '}') {
      std::string key = string_literal();
      skip_ws();
      expect(':');
      skip_ws();
      if (key == "descr") {
        if (have_descr) fail("duplicate key 'descr'");
        descr = string_literal();
        have_descr = true;
      } else if (key == "fortran_order") {
        if (have_fortran) fail("duplicate key 'fortran_order'");
        fortran = boolean();
        have_fortran = true;
      } else if (key == "shape") {
        if (have_shape) fail("duplicate key 'shape'");
        shape = tuple();
        have_shape = true;
      } else {
        fail("unexpected key '" + key + "' (expected descr, fortran_order, shape)");
      }
      skip_ws();
      if (peek() == ',') {
        ++i_;
        skip_ws();
      } else if (peek() != '}') {
        fail("expected ',' or '}'");
      }
    }
    ++i_;
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\0')) ++i_;
    if (i_ != s_.size()) fail("unexpected text after '}'");
    if (!have_descr || !have_fortran || !have_shape)
      fail(std::string("missing key '") + (!have_descr ? "descr" : !have_fortran ? "fortran_order" : "shape") + "'");
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    // The header is the file's text (it ends in '\n'): escaped, so the message stays one line.
    throw std::runtime_error(where_ + ": bad .npy header: " + npy_detail::printable(what) + " at offset " +
                             std::to_string(i_) + " of \"" + npy_detail::printable(s_.substr(0, 120)) + "\"");
  }
  char peek() const {
    if (i_ >= s_.size()) fail("unexpected end of header");
    return s_[i_];
  }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "', found '" + peek() + "'");
    ++i_;
  }
  std::string string_literal() {
    char q = peek();
    if (q != '\'' && q != '"') fail("expected a quoted string");
    std::size_t start = ++i_;
    while (peek() != q) {
      if (peek() == '\\') fail("escapes are not supported in header strings");
      ++i_;
    }
    return s_.substr(start, i_++ - start);
  }
  bool boolean() {
    if (s_.compare(i_, 4, "True") == 0) return i_ += 4, true;
    if (s_.compare(i_, 5, "False") == 0) return i_ += 5, false;
    fail("expected True or False");
  }
  std::size_t integer() {
    if (peek() < '0' || peek() > '9') fail("expected a non-negative integer");
    std::size_t v = 0;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
      std::size_t d = static_cast<std::size_t>(s_[i_] - '0');
      if (v > (std::numeric_limits<std::size_t>::max() - d) / 10) fail("dimension too large");
      v = v * 10 + d;
      ++i_;
    }
    if (i_ < s_.size() && s_[i_] == 'L') ++i_;  // Python 2 longs in very old files
    return v;
  }
  Shape tuple() {
    Shape out;
    expect('(');
    skip_ws();
    while (peek() != ')') {
      if (out.size() == 32) fail("more than 32 dimensions");
      out.push_back(integer());
      skip_ws();
      if (peek() == ',') {
        ++i_;
        skip_ws();
      } else if (peek() != ')') {
        fail("expected ',' or ')' in shape");
      }
    }
    ++i_;
    return out;
  }

  const std::string& s_;
  const std::string& where_;
  std::size_t i_ = 0;
};

std::string header_dict(const NpyArray& a) {
  std::string shape = "(";
  for (std::size_t i = 0; i < a.shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(a.shape[i]);
  shape += a.shape.size() == 1 ? ",)" : ")";
  return "{'descr': '" + a.dtype + "', 'fortran_order': False, 'shape': " + shape + ", }";
}

void check_consistent(const NpyArray& a, const std::string& where) {
  std::size_t need = shape_numel(a.shape);
  std::size_t item = npy_itemsize(a.dtype);
  if (need > std::numeric_limits<std::size_t>::max() / item || need * item != a.bytes.size())
    throw std::invalid_argument(where + ": shape " + shape_str(a.shape) + " of dtype " + a.dtype + " needs " +
                                std::to_string(need) + " x " + std::to_string(item) + " bytes, found " +
                                std::to_string(a.bytes.size()));
}

template <class V>
NpyArray vector_to_npy(const std::string& name, const std::vector<V>& v) {
  NpyArray a{name, npy_dtype_of<V>(), Shape{v.size()}, {}};
  a.bytes.resize(v.size() * sizeof(V));
  if (!v.empty()) std::memcpy(a.bytes.data(), v.data(), a.bytes.size());
  return a;
}

}  // namespace

namespace npy_detail {

std::string printable(const std::uint8_t* p, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    unsigned c = p[i];
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::size_t header_size(const std::uint8_t* p, std::size_t n, const std::string& where) {
  if (n < kMagicLen || std::memcmp(p, kMagic, kMagicLen) != 0)
    throw std::runtime_error(where + ": not a .npy array: expected magic \\x93NUMPY, found \"" +
                             printable(p, std::min<std::size_t>(n, kMagicLen)) + "\"");
  if (n < 8) throw std::runtime_error(where + ": truncated .npy header (" + std::to_string(n) + " bytes)");
  unsigned major = p[6], minor = p[7];
  std::size_t preamble, len;
  if (major == 1 && n >= 10) {
    preamble = 10;
    len = std::size_t(p[8]) | std::size_t(p[9]) << 8;
  } else if ((major == 2 || major == 3) && n >= 12) {
    preamble = 12;
    len = std::size_t(p[8]) | std::size_t(p[9]) << 8 | std::size_t(p[10]) << 16 | std::size_t(p[11]) << 24;
  } else if (major >= 1 && major <= 3) {
    throw std::runtime_error(where + ": truncated .npy header (" + std::to_string(n) + " bytes)");
  } else {
    throw std::runtime_error(where + ": unsupported .npy format version " + std::to_string(major) + "." +
                             std::to_string(minor) + " (expected 1.0, 2.0 or 3.0)");
  }
  if (len > kMaxHeaderBytes)
    throw std::runtime_error(where + ": .npy header length " + std::to_string(len) + " exceeds the limit of " +
                             std::to_string(kMaxHeaderBytes) + " bytes");
  return preamble + len;
}

Header parse_header(const std::uint8_t* p, std::size_t n, const std::string& where) {
  Header h;
  h.total = header_size(p, n, where);
  if (n < h.total)
    throw std::runtime_error(where + ": truncated .npy header: expected " + std::to_string(h.total) +
                             " bytes, found " + std::to_string(n));
  std::size_t preamble = p[6] == 1 ? 10 : 12;
  std::string text(reinterpret_cast<const char*>(p) + preamble, h.total - preamble);
  std::string descr;
  bool fortran = false;
  DictParser(text, where).parse(descr, fortran, h.shape);
  h.fortran_order = fortran;
  const std::string as_written = descr;
  // Byte order: '=' is the writer's native order, which NumPy itself never writes to a file, so
  // it is read as little-endian, as NumPy reads it on this host.
  if (descr.size() > 1 && (descr[0] == '>' || descr[0] == '=' || descr[0] == '<')) {
    if (descr.substr(1) == "u1") {
      descr = "|u1";  // byte order is moot for bytes
    } else {
      h.swap_bytes = descr[0] == '>';
      descr[0] = '<';
    }
  }
  std::size_t item;
  try {
    item = npy_itemsize(descr);
  } catch (const std::invalid_argument&) {
    throw std::runtime_error(where + ": unsupported dtype '" + printable(as_written) + "' (expected one of " + kKnownDtypes +
                             ", in either byte order)");
  }
  h.dtype = descr;
  std::size_t numel = 1;
  for (std::size_t d : h.shape) {
    if (d != 0 && numel > std::numeric_limits<std::size_t>::max() / item / d)
      throw std::runtime_error(where + ": shape " + shape_str(h.shape) + " of dtype " + descr +
                               " has more bytes than fit in memory");
    numel *= d;
  }
  h.data_bytes = numel * item;
  return h;
}

void to_native_c_order(const Header& h, std::vector<std::uint8_t>& bytes) {
  const std::size_t item = npy_itemsize(h.dtype);
  if (h.swap_bytes && item > 1)
    for (std::size_t i = 0; i + item <= bytes.size(); i += item) std::reverse(&bytes[i], &bytes[i + item]);
  const std::size_t nd = h.shape.size();
  if (!h.fortran_order || nd < 2 || bytes.empty()) return;  // 0-D and 1-D arrays are the same in both orders
  // Walk the C-order index (last axis fastest) and fetch each element from its column-major place,
  // whose strides are 1, d0, d0*d1, ... elements.
  std::vector<std::size_t> fstride(nd), index(nd, 0);
  for (std::size_t k = 0, s = 1; k < nd; ++k) {
    fstride[k] = s;
    s *= h.shape[k];
  }
  std::vector<std::uint8_t> c(bytes.size());
  std::size_t src = 0;  // element offset in Fortran order of the current C-order index
  for (std::size_t dst = 0; dst < c.size(); dst += item) {
    std::memcpy(&c[dst], &bytes[src * item], item);
    for (std::size_t k = nd; k-- > 0;) {  // increment the C-order index, carrying into earlier axes
      if (++index[k] < h.shape[k]) {
        src += fstride[k];
        break;
      }
      src -= (index[k] - 1) * fstride[k];
      index[k] = 0;
    }
  }
  bytes.swap(c);
}

}  // namespace npy_detail

std::size_t npy_itemsize(const std::string& dtype) {
  if (dtype == "|u1") return 1;
  if (dtype == "<i4" || dtype == "<f4") return 4;
  if (dtype == "<f8" || dtype == "<i8" || dtype == "<u8") return 8;
  throw std::invalid_argument("unsupported dtype '" + dtype + "' (expected one of " + kKnownDtypes + ")");
}

template <> std::string npy_dtype_of<float>() { return "<f4"; }
template <> std::string npy_dtype_of<double>() { return "<f8"; }
template <> std::string npy_dtype_of<std::uint8_t>() { return "|u1"; }
template <> std::string npy_dtype_of<std::int32_t>() { return "<i4"; }
template <> std::string npy_dtype_of<std::int64_t>() { return "<i8"; }
template <> std::string npy_dtype_of<std::uint64_t>() { return "<u8"; }

template <class T>
NpyArray to_npy(const std::string& name, const Tensor<T>& t) {
  NpyArray a = vector_to_npy(name, t.vec());
  a.shape = t.shape();
  return a;
}

NpyArray to_npy(const std::string& name, const std::vector<std::int64_t>& v) { return vector_to_npy(name, v); }
NpyArray to_npy(const std::string& name, const std::vector<std::uint64_t>& v) { return vector_to_npy(name, v); }

template <class T>
Tensor<T> npy_as(const NpyArray& a) {
  const std::string want = npy_dtype_of<T>();
  if (a.dtype != want) throw std::runtime_error(a.name + ": expected dtype " + want + ", found " + a.dtype);
  check_consistent(a, a.name);
  Tensor<T> t(a.shape);
  if (!a.bytes.empty()) std::memcpy(t.data(), a.bytes.data(), a.bytes.size());
  return t;
}

#define DLFS_NPY_INSTANTIATE(T)                                      \
  template NpyArray to_npy<T>(const std::string&, const Tensor<T>&); \
  template Tensor<T> npy_as<T>(const NpyArray&);
DLFS_NPY_INSTANTIATE(float)
DLFS_NPY_INSTANTIATE(double)
DLFS_NPY_INSTANTIATE(std::uint8_t)
DLFS_NPY_INSTANTIATE(std::int32_t)
DLFS_NPY_INSTANTIATE(std::int64_t)
DLFS_NPY_INSTANTIATE(std::uint64_t)
#undef DLFS_NPY_INSTANTIATE

NpyArray json_entry(const std::string& name, const nlohmann::json& j) {
  std::string text = j.dump();
  NpyArray a{name, "|u1", Shape{text.size()}, {}};
  a.bytes.assign(text.begin(), text.end());
  return a;
}

nlohmann::json parse_json_entry(const NpyArray& a) {
  if (a.dtype != "|u1" || a.shape.size() != 1)
    throw std::runtime_error(a.name + ": expected a 1-D |u1 array holding JSON text, found dtype " + a.dtype +
                             " shape " + shape_str(a.shape));
  check_json_depth(reinterpret_cast<const char*>(a.bytes.data()), a.bytes.size(), a.name);
  try {
    return nlohmann::json::parse(a.bytes.begin(), a.bytes.end());
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(a.name + ": not valid JSON: " + e.what());
  }
}

std::vector<std::uint8_t> npy_encode(const NpyArray& a) {
  check_consistent(a, a.name.empty() ? "npy_encode" : a.name);
  std::string dict = header_dict(a);
  // NumPy pads the header with spaces and a final '\n' so the data starts 64-byte aligned.
  std::size_t preamble = 10;
  std::size_t total = (preamble + dict.size() + 1 + 63) / 64 * 64;
  bool v2 = total - preamble > 65535;
  if (v2) {
    preamble = 12;
    total = (preamble + dict.size() + 1 + 63) / 64 * 64;
  }
  dict.append(total - preamble - dict.size() - 1, ' ');
  dict += '\n';
  std::string head(kMagic, kMagicLen);
  head += static_cast<char>(v2 ? 2 : 1);
  head += '\0';
  for (int b = 0; b < (v2 ? 4 : 2); ++b) head += static_cast<char>(dict.size() >> (8 * b) & 0xff);
  head += dict;
  std::vector<std::uint8_t> out(head.size() + a.bytes.size());
  std::memcpy(out.data(), head.data(), head.size());
  if (!a.bytes.empty()) std::memcpy(out.data() + head.size(), a.bytes.data(), a.bytes.size());
  return out;
}

NpyArray npy_decode(const std::uint8_t* data, std::size_t size, const std::string& where) {
  npy_detail::Header h = npy_detail::parse_header(data, size, where);
  if (size - h.total != h.data_bytes)
    throw std::runtime_error(where + ": shape " + shape_str(h.shape) + " of dtype " + h.dtype + " needs " +
                             std::to_string(h.data_bytes) + " data bytes, found " + std::to_string(size - h.total));
  NpyArray a{where, h.dtype, h.shape, {}};
  a.bytes.assign(data + h.total, data + size);
  npy_detail::to_native_c_order(h, a.bytes);
  return a;
}

}  // namespace dlfs
