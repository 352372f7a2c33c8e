// Hostile files for the loaders (issue 16, "Holes found by hostile-input probing": 1, 6, 7, and
// parts of 8 and 9), one table like test_hostile_input.cpp: each row runs the real `dlfs` binary
// and expects its exit status, a message naming what was expected and what was found, no signal,
// and a small peak memory. The bombs are a few MB on disk but declare gigabytes: they are built
// here in O(size on disk) (a deflate block of zeros after a full flush is repeated), and the
// memory bound shows they are refused, or skipped, without being inflated.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <sstream>

#include <zlib.h>

#include "dlfs/data/idx.hpp"
#include "dlfs/io/npz.hpp"
#include "dlfs/nets/registry.hpp"
#include "dlfs/train/model_file.hpp"
#include "integration/robust_util.hpp"

using namespace dlfs;
using namespace dlfs_robust;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string le(std::uint64_t v, int bytes) {
  std::string s;
  for (int k = 0; k < bytes; ++k) s += static_cast<char>((v >> (8 * k)) & 0xff);
  return s;
}
std::string be32(std::uint32_t v) {
  std::string s;
  for (int k = 3; k >= 0; --k) s += static_cast<char>((v >> (8 * k)) & 0xff);
  return s;
}

// Raw deflate of prefix followed by `zeros` zero bytes. After a full flush the compressor starts
// afresh, so each MiB of zeros compresses to the same self-contained bytes, which are repeated.
struct Deflated {
  std::string bytes;
  uLong crc = 0;
  std::uint64_t size = 0;  // uncompressed
};
Deflated deflate_zeros(const std::string& prefix, std::uint64_t zeros) {
  constexpr std::size_t kMiB = std::size_t(1) << 20;
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
  auto run = [&](const std::string& in, int flush) {
    std::string out;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    char buf[1 << 16];
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      deflate(&z, flush);
      out.append(buf, sizeof buf - z.avail_out);
    } while (z.avail_out == 0);
    return out;
  };
  const std::string mib(kMiB, '\0'), rest(zeros % kMiB, '\0');
  Deflated d;
  d.bytes = run(prefix, Z_FULL_FLUSH);
  const std::string block = run(mib, Z_FULL_FLUSH);
  for (std::uint64_t i = 0; i < zeros / kMiB; ++i) d.bytes += block;
  d.bytes += run(rest, Z_FINISH);
  deflateEnd(&z);
  d.crc = crc32(0, reinterpret_cast<const Bytef*>(prefix.data()), static_cast<uInt>(prefix.size()));
  const uLong crc_mib = crc32(0, reinterpret_cast<const Bytef*>(mib.data()), static_cast<uInt>(kMiB));
  for (std::uint64_t i = 0; i < zeros / kMiB; ++i) d.crc = crc32_combine(d.crc, crc_mib, kMiB);
  d.crc = crc32_combine(d.crc, crc32(0, reinterpret_cast<const Bytef*>(rest.data()), static_cast<uInt>(rest.size())),
                        static_cast<z_off_t>(rest.size()));
  d.size = prefix.size() + zeros;
  return d;
}

std::string gzip_zeros(const std::string& prefix, std::uint64_t zeros) {
  Deflated d = deflate_zeros(prefix, zeros);
  return std::string("\x1f\x8b\x08\0\0\0\0\0\0\x03", 10) + d.bytes + le(d.crc, 4) + le(d.size & 0xffffffffu, 4);
}

// A zip written by hand, so a member's data can be a deflate stream built above.
struct ZipMember {
  std::string name;
  int method;  // 0 stored, 8 deflated
  Deflated data;
};
std::string zip_archive(const std::vector<ZipMember>& members) {
  std::string out, central;
  for (const ZipMember& m : members) {
    const std::string common = le(20, 2) + le(0, 2) + le(m.method, 2) + le(0, 2) + le(0x21, 2) + le(m.data.crc, 4) +
                               le(m.data.bytes.size(), 4) + le(m.data.size, 4) + le(m.name.size(), 2) + le(0, 2);
    central += le(0x02014b50, 4) + le(20, 2) + common + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4) +
               le(out.size(), 4) + m.name;
    out += le(0x04034b50, 4) + common + m.name + m.data.bytes;
  }
  const std::size_t cd_offset = out.size();
  out += central + le(0x06054b50, 4) + le(0, 2) + le(0, 2) + le(members.size(), 2) + le(members.size(), 2) +
         le(central.size(), 4) + le(cd_offset, 4) + le(0, 2);
  return out;
}

ZipMember stored(const std::string& name, const std::vector<std::uint8_t>& npy) {
  Deflated d;
  d.bytes.assign(npy.begin(), npy.end());
  d.crc = crc32(0, npy.data(), static_cast<uInt>(npy.size()));
  d.size = npy.size();
  return {name + ".npy", 0, d};
}

std::string png_chunk(const std::string& type, const std::string& data) {
  const std::string td = type + data;
  return be32(static_cast<std::uint32_t>(data.size())) + td +
         be32(static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(td.data()), static_cast<uInt>(td.size()))));
}

// A .npy header (NumPy's layout: padded with spaces and '\n' to a multiple of 64 bytes).
std::string npy_header(const std::string& descr, const std::string& shape, const std::string& more = "") {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", " + more + "}";
  dict.append((10 + dict.size() + 1 + 63) / 64 * 64 - 10 - dict.size() - 1, ' ');
  dict += '\n';
  return std::string("\x93NUMPY\x01\x00", 8) + le(dict.size(), 2) + dict;
}

// The members of a model file, stored, with `extra` appended.
std::string model_zip(const std::map<std::string, NpyArray>& arrays, std::vector<ZipMember> extra,
                      const std::string& replace = "") {
  std::vector<ZipMember> members;
  for (const auto& [name, a] : arrays)
    if (name != replace) members.push_back(stored(name, npy_encode(a)));
  for (auto& m : extra) members.push_back(std::move(m));
  return zip_archive(members);
}

// Rewrites an .npz with edit(map of arrays) applied.
template <class F>
void edit_npz(const std::string& from, const std::string& to, F edit) {
  auto arrays = load_npz(from);
  edit(arrays);
  std::vector<NpyArray> list;
  for (auto& [name, a] : arrays) list.push_back(a);
  save_npz(to, list);
}

std::string nested_config(std::size_t depth) {
  std::string text = R"({"format":"dlfs-model","version":1,"architecture":)";
  for (std::size_t i = 0; i < depth; ++i) text += R"({"a":)";
  text += "1" + std::string(depth, '}') + "}";
  return text;
}

NpyArray text_entry(const std::string& name, const std::string& text) {
  return NpyArray{name, "|u1", Shape{text.size()}, std::vector<std::uint8_t>(text.begin(), text.end())};
}

struct Case {
  const char* name;
  std::vector<std::string> args;  // run in the scratch folder
  int exit_code;
  const char* message;  // expected in stderr (exit 1) or stdout (exit 0)
};

// Far below what inflating any bomb here costs (0.9 to 2 GB), far above dlfs' own needs.
constexpr long kMaxRssKb = 256 * 1024;

class HostileLoading : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("loading");
    write_tiny_idx(f("good"));
    const json arch = {{"net", "two-layer"}, {"input_size", 784}, {"hidden_size", 7}, {"output_size", 10}};
    save_model(*make_net<float>(arch, 1), f("model.npz"));
    const auto arrays = load_npz(f("model.npz"));

    // 1. __config__ nested 60,000 levels deep, deflated (about 800 bytes).
    std::vector<NpyArray> deep;
    for (const auto& [name, a] : arrays)
      if (name != "__config__") deep.push_back(a);
    deep.push_back(text_entry("__config__", nested_config(60000)));
    save_npz(f("deep_config.npz"), deep, true);
    // The same depth in a checkpoint's own JSON.
    deep.pop_back();
    deep.push_back(arrays.at("__config__"));
    // Valid up to its run_config, which read_checkpoint_info copies.
    std::string ck = R"({"format":"dlfs-checkpoint","version":1,"iteration":1,"dtype":"<f4","train_config":{},)"
                     R"("run_config":)" + std::string(60000, '[') + std::string(60000, ']') + "}";
    deep.push_back(text_entry("__checkpoint__", ck));
    save_npz(f("deep_checkpoint.npz"), deep, true);

    // 6. W1 declares (498073600,) float32: 1.9 GB of zeros in a 2 MB file.
    spit(f("w1_bomb.npz"),
         model_zip(arrays, {{"W1.npy", 8, deflate_zeros(npy_header("<f4", "(498073600,)"), 498073600ull * 4)}}, "W1"));
    // Two 900 MiB members the net does not use.
    const std::uint64_t pad = std::uint64_t(900) << 20;
    spit(f("pad_bomb.npz"),
         model_zip(arrays, {{"__pad__.npy", 8, deflate_zeros(npy_header("|u1", "(" + std::to_string(pad) + ",)"), pad)},
                            {"__pad2__.npy", 8, deflate_zeros(npy_header("|u1", "(" + std::to_string(pad) + ",)"), pad)}}));
    // The same padding must not vouch for a config describing a net of its width (2.9 TB of W1).
    auto wide = arrays;
    json meta = {{"format", "dlfs-model"}, {"version", 1}, {"architecture", arch}};
    meta["architecture"]["hidden_size"] = pad;
    wide["__config__"] = json_entry("__config__", meta);
    spit(f("pad_wide.npz"),
         model_zip(wide, {{"__pad__.npy", 8, deflate_zeros(npy_header("|u1", "(" + std::to_string(pad) + ",)"), pad)}}));
    // A test set of 1,369,000 images (1.07 GB, just under the 1 GiB payload limit) in a 1 MB .gz.
    write_tiny_idx(f("idx_bomb"));
    fs::remove(f("idx_bomb/t10k-images-idx3-ubyte"));
    spit(f("idx_bomb/t10k-images-idx3-ubyte.gz"),
         gzip_zeros(be32(kIdxImagesMagic) + be32(1369000) + be32(28) + be32(28), 1369000ull * 784));
    // 7. Non-finite weights, in a model and in a checkpoint.
    edit_npz(f("model.npz"), f("nan.npz"), [](auto& m) {
      reinterpret_cast<float*>(m["W1"].bytes.data())[1 * 7 + 5] = std::nanf("");  // W1[1, 5]
    });
    edit_npz(f("model.npz"), f("inf.npz"), [](auto& m) {
      reinterpret_cast<float*>(m["b2"].bytes.data())[3] = -INFINITY;
    });
    CliRun ck_run = run_dlfs({"train", "--data", "good", "--iters", "2", "--checkpoint-every", "1", "--checkpoint",
                              "ck.npz", "--quiet", "--out", "out"},
                             dir_->path().string());
    ASSERT_EQ(ck_run.exit_code, 0) << ck_run.err;
    edit_npz(f("ck.npz"), f("nan_ck.npz"), [](auto& m) {
      reinterpret_cast<float*>(m["W2"].bytes.data())[0] = std::nanf("");
    });

    // 8. A raw IDX file next to a .gz of other data (one pixel differs), and of the same data.
    write_tiny_idx(f("raw_and_gz"));
    Tensor<std::uint8_t> test_images = read_idx_images(f("raw_and_gz/t10k-images-idx3-ubyte"));
    write_tiny_idx(f("raw_and_same_gz"));
    write_idx_images(f("raw_and_same_gz/t10k-images-idx3-ubyte.gz"), test_images);
    test_images[5 * 784 + 400] ^= 0xff;
    write_idx_images(f("raw_and_gz/t10k-images-idx3-ubyte.gz"), test_images);

    // 9. PNG headers stb refuses as "unknown image type"; an .npy header and a member name with a
    // newline, which must not reach the one-line error as such.
    auto png = [](std::uint32_t w, std::uint32_t h) {
      std::string ihdr = be32(w) + be32(h) + std::string("\x08\0\0\0\0", 5);  // 8-bit grey
      return std::string("\x89PNG\r\n\x1a\n", 8) + png_chunk("IHDR", ihdr) + png_chunk("IDAT", "x") +
             png_chunk("IEND", "");
    };
    spit(f("huge.png"), png(16384, 16384));
    spit(f("empty.png"), png(0, 0));
    // (its '\n', as NumPy pads it, falls within the 120 characters an error quotes)
    std::string bad_header = npy_header("<f4", "(784, 7)", "'extra': 1");
    const NpyArray& w1 = arrays.at("W1");
    std::vector<std::uint8_t> bad_w1(bad_header.begin(), bad_header.end());
    bad_w1.insert(bad_w1.end(), w1.bytes.begin(), w1.bytes.end());
    spit(f("header_newline.npz"), model_zip(arrays, {stored("W1", bad_w1)}, "W1"));
    spit(f("name_newline.npz"), model_zip(arrays, {stored("W\n1", npy_encode(w1))}));

    // predict --index needs only the test set: a broken training set must not matter.
    write_tiny_idx(f("bad_train"));
    spit(f("bad_train/train-images-idx3-ubyte"), "not an IDX file");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string f(const std::string& name) { return dir_->file(name); }
  static TempDir* dir_;
};
TempDir* HostileLoading::dir_ = nullptr;

std::vector<std::string> predict(const std::string& model, const std::string& data = "good",
                                 std::vector<std::string> extra = {}) {
  std::vector<std::string> v = {"predict", "--model", model, "--data", data, "--index", "0"};
  v.insert(v.end(), extra.begin(), extra.end());
  return v;
}

const std::vector<Case>& table() {
  static const std::vector<Case> t = {
      // 1. Deep JSON: refused before nlohmann builds (and copies) it.
      {"config_60000_levels", predict("deep_config.npz"), 1,
       "deep_config.npz: __config__: JSON nested deeper than expected: at most 64 levels, found more at byte"},
      {"checkpoint_json_60000_levels", {"train", "--quiet", "--data", "good", "--iters", "2", "--out", "out",
                                        "--resume", "deep_checkpoint.npz"}, 1,
       "__checkpoint__: JSON nested deeper than expected: at most 64 levels"},
      // 6. Decompression bombs: refused on the declared shape, or skipped, never inflated.
      {"w1_declares_1_9_GB", predict("w1_bomb.npz"), 1,
       "w1_bomb.npz: array W1: expected shape (784, 7), found (498073600,)"},
      {"unused_members_of_1_8_GB", predict("pad_bomb.npz"), 0, "predicted "},
      {"padding_vouches_for_no_size", predict("pad_wide.npz"), 1,
       "pad_wide.npz: __config__ 'hidden_size' is 943718400, larger than any array dimension in the file (at most 4096)"},
      {"idx_gz_of_1_37_million_images", predict("model.npz", "idx_bomb"), 1,
       "t10k-images-idx3-ubyte.gz: header declares 1,369,000 images: expected at most 1,000,000 per file"},
      // 7. Non-finite weights: refused on load, naming the array and the element.
      {"nan_weight", predict("nan.npz"), 1,
       "nan.npz: array W1: expected finite values, found NaN at index (1, 5) (flat index 12 of shape (784, 7))"},
      {"inf_bias", predict("inf.npz"), 1,
       "inf.npz: array b2: expected finite values, found -Inf at index (3,) (flat index 3 of shape (10,))"},
      {"nan_in_checkpoint", {"train", "--quiet", "--data", "good", "--iters", "4", "--out", "out", "--checkpoint-every",
                             "1", "--checkpoint", "ck2.npz", "--resume", "nan_ck.npz"}, 1,
       "nan_ck.npz: array W2: expected finite values, found NaN at index (0, 0)"},
      // 8. Which of two differing copies is meant is a guess: refused. Identical copies are fine.
      {"raw_and_gz_differ", predict("model.npz", "raw_and_gz"), 1,
       "raw_and_gz: both t10k-images-idx3-ubyte and t10k-images-idx3-ubyte.gz are present and hold different data"},
      {"raw_and_gz_identical", predict("model.npz", "raw_and_same_gz"), 0, "predicted "},
      // 9. Clear messages.
      {"png_16384_square", {"predict", "--model", "model.npz", "--image", "huge.png"}, 1,
       "huge.png: PNG too large: 16384x16384 pixels, expected at most 8192x8192"},
      {"png_0x0", {"predict", "--model", "model.npz", "--image", "empty.png"}, 1,
       "empty.png: empty PNG: 0x0 pixels, expected at least 1x1"},
      {"index_minus_one", {"predict", "--model", "model.npz", "--data", "good", "--index", "-1"}, 1, "--index: expected 0 to 9, got -1"},
      {"npy_header_with_newline", predict("header_newline.npz"), 1,
       "member 'W1.npy': bad .npy header: unexpected key 'extra' (expected descr, fortran_order, shape)"},
      {"member_name_with_newline", predict("name_newline.npz"), 1, "unexpected array W\\x0a1 for net two-layer"},
      {"net_contradicts_the_file", predict("model.npz", "good", {"--net", "simple-conv"}), 1,
       "--net simple-conv: model.npz holds a two-layer net (its __config__ gives the architecture, which is used)"},
      {"predict_reads_only_the_test_set", predict("model.npz", "bad_train"), 0, "predicted "},
  };
  return t;
}

}  // namespace

TEST_F(HostileLoading, EveryCaseFailsClearlyOrLoadsInLittleMemory) {
  for (const Case& c : table()) {
    SCOPED_TRACE(c.name);
    const CliRun r = run_dlfs(c.args, dir_->path().string());
    EXPECT_EQ(r.signal, 0) << "killed by signal " << r.signal << "\n" << r.err;
    EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
    const std::string& where = c.exit_code == 0 ? r.out : r.err;
    EXPECT_NE(where.find(c.message), std::string::npos) << "expected \"" << c.message << "\" in:\n" << where;
    if (c.exit_code != 0) {
      EXPECT_EQ(r.err.rfind("dlfs: error: ", 0), 0u) << r.err;
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "not one line:\n" << r.err;
    }
    EXPECT_LT(r.max_rss_kb, kMaxRssKb) << "peak memory " << r.max_rss_kb / 1024 << " MiB";
  }
}

// The bombs really are what their names say: small files whose members declare gigabytes.
TEST_F(HostileLoading, TheBombsAreSmallOnDiskAndDeclareGigabytes) {
  EXPECT_LT(fs::file_size(f("deep_config.npz")), 32000u);  // mostly W1's random weights
  EXPECT_LT(fs::file_size(f("w1_bomb.npz")), std::uintmax_t(3) << 20);
  EXPECT_LT(fs::file_size(f("pad_bomb.npz")), std::uintmax_t(3) << 20);
  EXPECT_LT(fs::file_size(f("idx_bomb/t10k-images-idx3-ubyte.gz")), std::uintmax_t(2) << 20);
  NpzFile w1(f("w1_bomb.npz"));
  ASSERT_NE(w1.find("W1"), nullptr);
  EXPECT_EQ(w1.find("W1")->data_bytes, 498073600u * 4);
  NpzFile pad(f("pad_bomb.npz"));
  ASSERT_NE(pad.find("__pad__"), nullptr);
  EXPECT_EQ(pad.find("__pad__")->data_bytes, std::size_t(900) << 20);
  // The repeated-block stream inflates, CRC and all, to what it declares (checked on 3 MiB + header).
  spit(f("small_bomb.npz"), zip_archive({{"z.npy", 8, deflate_zeros(npy_header("|u1", "(3145728,)"), 3145728)}}));
  auto small = load_npz(f("small_bomb.npz"));
  EXPECT_EQ(small.at("z").bytes, std::vector<std::uint8_t>(3145728, 0));
}
