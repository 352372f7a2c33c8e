// IDX reader/writer. Bytes come from a ByteSource (file or memory); if they start with the gzip
// magic they are inflated on the fly by GzipSource. The parser then reads the header, validates
// the declared sizes and pulls exactly that many bytes, growing its buffer with what arrives.
#include "dlfs/data/idx.hpp"
#include "thousands.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <sys/stat.h>

namespace dlfs {
namespace {

using detail::with_commas;

[[noreturn]] void fail(const std::string& name, const std::string& msg) {
  throw std::runtime_error(name + ": " + msg);
}


// A stream of bytes. read() returns fewer than n bytes only at the end of the data.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual std::size_t read(std::uint8_t* dst, std::size_t n) = 0;
};

class FileSource : public ByteSource {
 public:
  FileSource(const std::string& path) : name_(path), f_(std::fopen(path.c_str(), "rb")) {
    if (!f_) fail(path, std::string("cannot open: ") + std::strerror(errno));
  }
  ~FileSource() override { std::fclose(f_); }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  std::size_t read(std::uint8_t* dst, std::size_t n) override {
    std::size_t got = std::fread(dst, 1, n, f_);
    if (got < n && std::ferror(f_)) fail(name_, std::string("read error: ") + std::strerror(errno));
    return got;
  }
  void rewind() { std::rewind(f_); }

 private:
  std::string name_;
  std::FILE* f_;
};

class MemorySource : public ByteSource {
 public:
  MemorySource(const std::uint8_t* p, std::size_t n) : p_(p), n_(n) {}
  std::size_t read(std::uint8_t* dst, std::size_t n) override {
    std::size_t k = std::min(n, n_ - pos_);
    if (k) std::memcpy(dst, p_ + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  const std::uint8_t* p_;
  std::size_t n_, pos_ = 0;
};

// Inflates a gzip stream (concatenated members allowed, as gzip(1) produces them). Corrupt data,
// a bad CRC, a stream cut short or non-gzip bytes after the end all throw.
class GzipSource : public ByteSource {
 public:
  GzipSource(ByteSource& in, std::string name) : in_(in), name_(std::move(name)) {
    // 16 + MAX_WBITS: accept the gzip wrapper only (not raw zlib), and check its CRC.
    if (inflateInit2(&z_, 16 + MAX_WBITS) != Z_OK) fail(name_, "zlib inflateInit2 failed");
  }
  ~GzipSource() override { inflateEnd(&z_); }
  GzipSource(const GzipSource&) = delete;
  GzipSource& operator=(const GzipSource&) = delete;

  std::size_t read(std::uint8_t* dst, std::size_t n) override {
    z_.next_out = dst;
    z_.avail_out = static_cast<uInt>(n);
    while (z_.avail_out > 0) {
      if (z_.avail_in == 0) {
        z_.avail_in = static_cast<uInt>(in_.read(buf_, sizeof buf_));
        z_.next_in = buf_;
        if (z_.avail_in == 0) {
          if (ended_) break;  // clean end of the last member
          fail(name_, "corrupt gzip data: unexpected end of the compressed stream (file truncated?)");
        }
      }
      if (ended_) {  // more input after a member: it must be another gzip member
        if (z_.next_in[0] != 0x1f)
          fail(name_, "corrupt gzip data: trailing bytes after the end of the gzip stream");
        inflateReset(&z_);
        ended_ = false;
      }
      int ret = inflate(&z_, Z_NO_FLUSH);
      if (ret == Z_STREAM_END) {
        ended_ = true;
      } else if (ret != Z_OK) {
        fail(name_, std::string("corrupt gzip data: ") + (z_.msg ? z_.msg : zError(ret)));
      }
    }
    return n - z_.avail_out;
  }

 private:
  ByteSource& in_;
  std::string name_;
  z_stream z_{};
  bool ended_ = false;
  std::uint8_t buf_[1 << 16];
};

std::string describe_magic(std::uint32_t m) {
  if (m == kIdxImagesMagic) return "2051 (images)";
  if (m == kIdxLabelsMagic) return "2049 (labels)";
  return std::to_string(m) + " (not an MNIST IDX header)";
}

struct IdxPayload {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> data;
};

// Reads an IDX stream of unsigned bytes with `ndims` dimensions. known_size: the raw byte count
// when it is known up front (an uncompressed file), so a short or long file fails before allocating.
IdxPayload parse_idx(ByteSource& src, const std::string& name, std::uint32_t magic, const char* what,
                     std::int64_t known_size) {
  const std::size_t ndims = magic & 0xff;
  const std::size_t header = 4 + 4 * ndims;
  std::uint8_t h[16];
  std::size_t got = src.read(h, header);
  if (got >= 4) {
    std::uint32_t m = (std::uint32_t(h[0]) << 24) | (std::uint32_t(h[1]) << 16) | (std::uint32_t(h[2]) << 8) | h[3];
    if (m != magic) fail(name, "expected magic " + describe_magic(magic) + ", found " + describe_magic(m));
  }
  if (got < header)
    fail(name, "truncated: expected a " + std::to_string(header) + "-byte IDX " + what + " header, found only " +
                   std::to_string(got) + " bytes");

  IdxPayload p;
  std::uint64_t total = 1;
  bool overflow = false;
  std::string dims_str;
  for (std::size_t i = 0; i < ndims; ++i) {
    const std::uint8_t* d = h + 4 + 4 * i;
    std::uint32_t v = (std::uint32_t(d[0]) << 24) | (std::uint32_t(d[1]) << 16) | (std::uint32_t(d[2]) << 8) | d[3];
    p.dims.push_back(v);
    dims_str += (i ? " x " : "") + std::to_string(v);
    if (v == 0) fail(name, "header declares dimensions " + dims_str + "...: expected every dimension >= 1, found 0");
    if (total > kIdxMaxBytes) overflow = true;  // keeps total * v within 64 bits (both < 2^32)
    total *= v;
  }
  if (overflow || total > kIdxMaxBytes)
    fail(name, "header declares " + std::string(what) + " of dimensions " + dims_str +
                   ": expected at most " + with_commas(kIdxMaxBytes) + " bytes of data (1 GiB), found a larger product");
  if (p.dims[0] > kIdxMaxItems)
    fail(name, "header declares " + with_commas(p.dims[0]) + " " + what + ": expected at most " +
                   with_commas(kIdxMaxItems) + " per file");
  const std::string declared =
      "header declares " + dims_str + " = " + with_commas(total) + " bytes of " + what;
  if (known_size >= 0) {
    std::uint64_t have = static_cast<std::uint64_t>(known_size) - header;
    if (have < total) fail(name, "truncated: " + declared + ", found only " + with_commas(have));
    if (have > total) fail(name, "trailing bytes: " + declared + ", found " + with_commas(have) + " (" +
                                     with_commas(have - total) + " extra)");
  }

  // Grow by doubling, capped at the declared size: memory tracks what the stream really holds.
  std::size_t filled = 0;
  while (filled < total) {
    std::size_t next = static_cast<std::size_t>(std::min<std::uint64_t>(total, std::max<std::size_t>(filled * 2, 1 << 20)));
    p.data.resize(next);
    std::size_t n = src.read(p.data.data() + filled, next - filled);
    filled += n;
    if (filled < next) fail(name, "truncated: " + declared + ", found only " + with_commas(filled));
  }
  std::uint8_t extra[4096];
  std::uint64_t more = 0;
  for (std::size_t n; (n = src.read(extra, sizeof extra)) > 0 && more < (1u << 20);) more += n;
  if (more) fail(name, "trailing bytes: " + declared + ", found " + (more >= (1u << 20) ? "more than " : "") +
                           with_commas(more) + " extra bytes after them");
  return p;
}

bool is_gzip(const std::uint8_t* b, std::size_t n) { return n >= 2 && b[0] == 0x1f && b[1] == 0x8b; }

IdxPayload read_file(const std::string& path, std::uint32_t magic, const char* what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) fail(path, std::string("cannot open: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail(path, "expected a regular file");
  FileSource file(path);
  std::uint8_t sig[2];
  std::size_t n = file.read(sig, 2);
  file.rewind();
  if (is_gzip(sig, n)) {
    GzipSource gz(file, path);
    return parse_idx(gz, path, magic, what, -1);
  }
  return parse_idx(file, path, magic, what, static_cast<std::int64_t>(st.st_size));
}

IdxPayload read_memory(const std::uint8_t* b, std::size_t n, const std::string& name, std::uint32_t magic,
                       const char* what) {
  MemorySource mem(b, n);
  if (is_gzip(b, n)) {
    GzipSource gz(mem, name);
    return parse_idx(gz, name, magic, what, -1);
  }
  return parse_idx(mem, name, magic, what, static_cast<std::int64_t>(n));
}

Tensor<std::uint8_t> to_images(IdxPayload p) {
  return Tensor<std::uint8_t>(Shape{p.dims[0], p.dims[1], p.dims[2]}, std::move(p.data));
}

// Writes to path (gzip when it ends in .gz) through zlib's gz* API, which also writes raw files
// with mode "wbT".
void write_idx(const std::string& path, std::uint32_t magic, const std::vector<std::uint32_t>& dims,
               const std::uint8_t* data, std::size_t n) {
  bool gz = path.size() >= 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
  gzFile f = gzopen(path.c_str(), gz ? "wb9" : "wbT");
  if (!f) fail(path, std::string("cannot open for writing: ") + std::strerror(errno));
  std::vector<std::uint8_t> header;
  auto put32 = [&](std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) header.push_back(static_cast<std::uint8_t>(v >> s));
  };
  put32(magic);
  for (auto d : dims) put32(d);
  bool ok = gzwrite(f, header.data(), static_cast<unsigned>(header.size())) == static_cast<int>(header.size());
  for (std::size_t off = 0; ok && off < n;) {
    unsigned k = static_cast<unsigned>(std::min<std::size_t>(n - off, 1 << 24));
    ok = gzwrite(f, data + off, k) == static_cast<int>(k);
    off += k;
  }
  if (gzclose(f) != Z_OK || !ok) fail(path, "write failed");
}

std::uint32_t dim32(std::size_t v, const std::string& path) {
  if (v > 0xffffffffu) fail(path, "dimension " + std::to_string(v) + " does not fit an IDX header");
  return static_cast<std::uint32_t>(v);
}

}  // namespace

Tensor<std::uint8_t> read_idx_images(const std::string& path) {
  return to_images(read_file(path, kIdxImagesMagic, "images"));
}

std::vector<std::uint8_t> read_idx_labels(const std::string& path) {
  return read_file(path, kIdxLabelsMagic, "labels").data;
}

Tensor<std::uint8_t> parse_idx_images(const std::uint8_t* bytes, std::size_t n, const std::string& name) {
  return to_images(read_memory(bytes, n, name, kIdxImagesMagic, "images"));
}

std::vector<std::uint8_t> parse_idx_labels(const std::uint8_t* bytes, std::size_t n, const std::string& name) {
  return read_memory(bytes, n, name, kIdxLabelsMagic, "labels").data;
}

void write_idx_images(const std::string& path, const Tensor<std::uint8_t>& images) {
  expect_rank(images.shape(), 3, "write_idx_images(" + path + ")");
  write_idx(path, kIdxImagesMagic,
            {dim32(images.dim(0), path), dim32(images.dim(1), path), dim32(images.dim(2), path)}, images.data(),
            images.size());
}

void write_idx_labels(const std::string& path, const std::vector<std::uint8_t>& labels) {
  write_idx(path, kIdxLabelsMagic, {dim32(labels.size(), path)}, labels.data(), labels.size());
}

}  // namespace dlfs
