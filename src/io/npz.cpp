// .npz = a zip of .npy members, through libzip. The writer builds the archive in memory and hands
// the bytes to write_file_atomic; the reader checks every size the archive claims before it
// allocates, because a model file is input we did not produce.
#include <sys/stat.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <memory>
#include <set>
#include <stdexcept>

#include "dlfs/io/atomic_file.hpp"
#include "dlfs/io/npz.hpp"
#include "npy_header.hpp"

namespace dlfs {
namespace {

// Fixed member timestamp (2020-01-01) so the same arrays always give the same file bytes.
constexpr time_t kMemberMtime = 1577836800;

std::string zip_code_message(int code) {
  zip_error_t e;
  zip_error_init_with_code(&e, code);
  std::string msg = zip_error_strerror(&e);
  zip_error_fini(&e);
  return msg;
}

void check_member_name(const std::string& name, std::set<std::string>& seen) {
  if (name.empty()) throw std::invalid_argument("save_npz: an array has an empty name");
  if (name.find_first_of(std::string("/\\\0", 3)) != std::string::npos)
    throw std::invalid_argument("save_npz: array name '" + name + "' contains '/', '\\' or NUL");
  if (!seen.insert(name).second) throw std::invalid_argument("save_npz: duplicate array name '" + name + "'");
}

std::string build_zip(const std::string& path, const std::vector<std::vector<std::uint8_t>>& blobs,
                      const std::vector<NpyArray>& arrays, bool compressed) {
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* mem = zip_source_buffer_create(nullptr, 0, 0, &err);
  if (!mem) throw std::runtime_error("save_npz " + path + ": " + zip_error_strerror(&err));
  zip_source_keep(mem);  // we read the finished archive back out of it after zip_close
  std::unique_ptr<zip_source_t, void (*)(zip_source_t*)> mem_guard(mem, zip_source_free);
  zip_t* za = zip_open_from_source(mem, ZIP_TRUNCATE, &err);
  if (!za) throw std::runtime_error("save_npz " + path + ": " + zip_error_strerror(&err));
  auto fail = [&](const std::string& what) {
    std::string msg = "save_npz " + path + ": " + what + ": " + zip_strerror(za);
    zip_discard(za);
    throw std::runtime_error(msg);
  };
  for (std::size_t i = 0; i < blobs.size(); ++i) {
    std::string member = arrays[i].name + ".npy";
    zip_source_t* s = zip_source_buffer(za, blobs[i].data(), blobs[i].size(), 0);
    if (!s) fail("member '" + member + "'");
    zip_int64_t idx = zip_file_add(za, member.c_str(), s, ZIP_FL_ENC_UTF_8);
    if (idx < 0) {
      zip_source_free(s);
      fail("member '" + member + "'");
    }
    auto u = static_cast<zip_uint64_t>(idx);
    if (zip_set_file_compression(za, u, compressed ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0) != 0 ||
        zip_file_set_mtime(za, u, kMemberMtime, 0) != 0)
      fail("member '" + member + "'");
  }
  if (zip_close(za) != 0) fail("cannot build the archive");

  zip_stat_t st;
  if (zip_source_open(mem) != 0 || zip_source_stat(mem, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
    throw std::runtime_error("save_npz " + path + ": cannot read back the archive: " +
                             zip_error_strerror(zip_source_error(mem)));
  std::string out(st.size, '\0');
  zip_int64_t n = zip_source_read(mem, out.data(), st.size);
  zip_source_close(mem);
  if (n < 0 || static_cast<zip_uint64_t>(n) != st.size)
    throw std::runtime_error("save_npz " + path + ": short read of the in-memory archive");
  return out;
}

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct FileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

class MemberReader {
 public:
  MemberReader(zip_t* za, zip_uint64_t index, std::string where) : where_(std::move(where)) {
    f_.reset(zip_fopen_index(za, index, 0));
    if (!f_) throw std::runtime_error(where_ + ": cannot open member: " + zip_strerror(za));
  }
  // Reads exactly n bytes; a short read means the compressed stream ended early.
  void read(void* dst, std::size_t n, const char* what) {
    auto* p = static_cast<char*>(dst);
    while (n > 0) {
      zip_int64_t got = zip_fread(f_.get(), p, n);
      if (got < 0) throw std::runtime_error(where_ + ": reading " + what + ": " + zip_file_strerror(f_.get()));
      if (got == 0)
        throw std::runtime_error(where_ + ": truncated member: " + std::to_string(n) + " bytes of " + what +
                                 " missing");
      p += got;
      n -= static_cast<std::size_t>(got);
    }
  }
  // libzip verifies the CRC only when it reaches the end of the member, so go there.
  void expect_end() {
    char extra;
    zip_int64_t got = zip_fread(f_.get(), &extra, 1);
    if (got < 0) throw std::runtime_error(where_ + ": " + zip_file_strerror(f_.get()));
    if (got != 0) throw std::runtime_error(where_ + ": member holds more bytes than its header and stat say");
  }

 private:
  std::string where_;
  std::unique_ptr<zip_file_t, FileCloser> f_;
};

// Reads and checks a member's .npy header, leaving r at its first data byte. Only the header's
// bytes are inflated.
npy_detail::Header read_header(MemberReader& r, const zip_stat_t& st, const std::string& where) {
  std::uint8_t head[npy_detail::kPreambleMax];
  std::size_t first = static_cast<std::size_t>(std::min<zip_uint64_t>(st.size, sizeof head));
  r.read(head, first, "the .npy header");
  std::size_t total = npy_detail::header_size(head, first, where);
  // The preamble already read may be longer than a (bogus) header that declares almost no text.
  if (total < first)
    throw std::runtime_error(where + ": .npy header of " + std::to_string(total) +
                             " bytes is too short to hold its dictionary");
  if (total > st.size)
    throw std::runtime_error(where + ": truncated .npy: header needs " + std::to_string(total) +
                             " bytes, member has " + std::to_string(st.size));
  std::vector<std::uint8_t> header(total);
  std::memcpy(header.data(), head, first);
  r.read(header.data() + first, total - first, "the .npy header");
  npy_detail::Header h = npy_detail::parse_header(header.data(), total, where);
  // The member's real (uncompressed) size must match the shape before we allocate for it.
  if (st.size - total != h.data_bytes)
    throw std::runtime_error(where + ": shape " + shape_str(h.shape) + " of dtype " + h.dtype + " needs " +
                             std::to_string(h.data_bytes) + " data bytes, but the member holds " +
                             std::to_string(st.size - total));
  return h;
}

NpyArray read_member(zip_t* za, zip_uint64_t index, const zip_stat_t& st, const std::string& where) {
  MemberReader r(za, index, where);
  npy_detail::Header h = read_header(r, st, where);
  // Grow the buffer as data really arrives: a central directory that lies about the size of a
  // tiny deflate stream then costs one chunk of memory, not the size it claims.
  constexpr std::size_t kChunk = std::size_t(64) << 20;
  NpyArray a{"", h.dtype, h.shape, {}};
  for (std::size_t done = 0; done < h.data_bytes;) {
    std::size_t n = std::min(kChunk, h.data_bytes - done);
    a.bytes.resize(done + n);
    r.read(a.bytes.data() + done, n, "array data");
    done += n;
  }
  r.expect_end();
  npy_detail::to_native_c_order(h, a.bytes);
  return a;
}

}  // namespace

void save_npz(const std::string& path, const std::vector<NpyArray>& arrays, bool compressed) {
  std::set<std::string> seen;
  std::vector<std::vector<std::uint8_t>> blobs;
  blobs.reserve(arrays.size());
  for (const NpyArray& a : arrays) {
    check_member_name(a.name, seen);
    blobs.push_back(npy_encode(a));
  }
  if (arrays.empty()) {
    // libzip deletes an archive with no members; NumPy writes the bare end-of-directory record.
    write_file_atomic(path, std::string_view("PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 22));
    return;
  }
  write_file_atomic(path, build_zip(path, blobs, arrays, compressed));
}

struct NpzFile::Impl {
  std::string path;
  std::unique_ptr<zip_t, ZipCloser> za;
  std::vector<zip_stat_t> stats;
  std::vector<NpyMember> members;
  std::map<std::string, std::size_t> index;

  std::string where(std::size_t i) const {
    return "load_npz: " + path + ": member '" + npy_detail::printable(stats[i].name) + "'";
  }
};

NpzFile::NpzFile(const std::string& path, std::size_t max_total_bytes) : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  struct stat fst {};
  if (::stat(path.c_str(), &fst) != 0)
    throw std::runtime_error("load_npz: cannot open " + path + ": " + std::strerror(errno));
  if (!S_ISREG(fst.st_mode)) throw std::runtime_error("load_npz: " + path + " is not a regular file");
  // libzip would accept an empty file as an empty archive; an empty model file is a mistake.
  if (fst.st_size == 0)
    throw std::runtime_error("load_npz: " + path + " is an empty file (0 bytes), expected an .npz (zip) archive");

  int code = 0;
  impl_->za.reset(zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code));
  zip_t* za = impl_->za.get();
  if (!za) {
    if (code == ZIP_ER_NOZIP)
      throw std::runtime_error("load_npz: " + path +
                               " is not an .npz file: expected a zip archive, found no zip end-of-directory "
                               "record (not a zip, or truncated)");
    if (code == ZIP_ER_EXISTS)  // libzip refuses archives that list the same name twice
      throw std::runtime_error("load_npz: " + path + ": duplicate member names (each array must appear once)");
    throw std::runtime_error("load_npz: " + path + " is not a valid .npz (zip) archive: " + zip_code_message(code));
  }

  zip_int64_t n = zip_get_num_entries(za, 0);
  if (n < 0) throw std::runtime_error("load_npz: " + path + ": " + zip_strerror(za));
  auto& stats = impl_->stats;
  stats.resize(static_cast<std::size_t>(n));
  impl_->members.resize(stats.size());
  std::size_t total = 0;
  for (zip_uint64_t i = 0; i < stats.size(); ++i) {
    zip_stat_t& st = stats[i];
    zip_stat_init(&st);
    if (zip_stat_index(za, i, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME) || !(st.valid & ZIP_STAT_SIZE))
      throw std::runtime_error("load_npz: " + path + ": cannot read entry " + std::to_string(i) + ": " +
                               zip_strerror(za));
    std::string member = st.name;
    std::string where = impl_->where(i);
    if (member.size() <= 4 || member.compare(member.size() - 4, 4, ".npy") != 0)
      throw std::runtime_error(where + ": expected a '<name>.npy' member");
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
      throw std::runtime_error(where + ": encrypted members are not supported");
    std::string name = member.substr(0, member.size() - 4);
    if (!impl_->index.emplace(name, i).second)
      throw std::runtime_error(where + ": duplicate array name '" + npy_detail::printable(name) + "'");
    if (st.size > max_total_bytes - total)
      throw std::runtime_error("load_npz: " + path + ": arrays add up to more than " +
                               std::to_string(max_total_bytes) + " bytes uncompressed (member '" +
                               npy_detail::printable(member) + "' alone claims " + std::to_string(st.size) + ")");
    total += static_cast<std::size_t>(st.size);
    impl_->members[i].name = name;
  }
  // Only the headers: a few hundred bytes of each member are inflated here.
  for (zip_uint64_t i = 0; i < stats.size(); ++i) {
    MemberReader r(za, i, impl_->where(i));
    npy_detail::Header h = read_header(r, stats[i], impl_->where(i));
    NpyMember& m = impl_->members[i];
    m.dtype = h.dtype;
    m.shape = h.shape;
    m.data_bytes = h.data_bytes;
  }
}

NpzFile::~NpzFile() = default;
NpzFile::NpzFile(NpzFile&&) noexcept = default;
NpzFile& NpzFile::operator=(NpzFile&&) noexcept = default;

const std::string& NpzFile::path() const { return impl_->path; }
const std::vector<NpyMember>& NpzFile::members() const { return impl_->members; }

const NpyMember* NpzFile::find(const std::string& name) const {
  auto it = impl_->index.find(name);
  return it == impl_->index.end() ? nullptr : &impl_->members[it->second];
}

NpyArray NpzFile::read(const std::string& name) const {
  auto it = impl_->index.find(name);
  if (it == impl_->index.end())
    throw std::runtime_error("load_npz: " + impl_->path + ": no member '" + npy_detail::printable(name) + ".npy'");
  const std::size_t i = it->second;
  NpyArray a = read_member(impl_->za.get(), i, impl_->stats[i], impl_->where(i));
  a.name = name;
  return a;
}

nlohmann::json NpzFile::read_json(const std::string& name, std::size_t max_bytes) const {
  const NpyMember* m = find(name);
  if (!m) throw std::runtime_error("load_npz: " + impl_->path + ": no member '" + npy_detail::printable(name) + ".npy'");
  if (m->dtype != "|u1" || m->shape.size() != 1)
    throw std::runtime_error(name + ": expected a 1-D |u1 array holding JSON text, found dtype " + m->dtype +
                             " shape " + shape_str(m->shape));
  if (m->data_bytes > max_bytes)
    throw std::runtime_error(name + ": expected JSON text of at most " + std::to_string(max_bytes) + " bytes, found " +
                             std::to_string(m->data_bytes));
  return parse_json_entry(read(name));
}

std::map<std::string, NpyArray> load_npz(const std::string& path, std::size_t max_total_bytes) {
  NpzFile file(path, max_total_bytes);
  std::map<std::string, NpyArray> out;
  for (const NpyMember& m : file.members()) out.emplace(m.name, file.read(m.name));
  return out;
}

}  // namespace dlfs
