// load_npz on hostile or broken files: one clear std::runtime_error each, naming the file and the
// member, and never a crash, a hang or a huge allocation.
#include <gtest/gtest.h>
#include <zip.h>

#include <cstring>

#include "dlfs/io/npz.hpp"
#include "io_test_util.hpp"

namespace dlfs {
namespace {

using test::TempDir;

// A .npy member whose data bytes are all 0x01: only their count matters to these checks.
std::string npy_file(const std::string& dict, std::size_t data_bytes, char major = 1) {
  return test::npy_bytes(dict, std::string(data_bytes, '\x01'), major);
}

// A stored zip of raw members, written with libzip directly (bypassing save_npz's checks).
void write_zip(const std::string& path, const std::vector<std::pair<std::string, std::string>>& members,
               bool deflate = false) {
  int err = 0;
  zip_t* za = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  ASSERT_NE(za, nullptr);
  for (auto& [name, bytes] : members) {
    zip_source_t* s = zip_source_buffer(za, bytes.data(), bytes.size(), 0);
    zip_int64_t idx = zip_file_add(za, name.c_str(), s, 0);
    ASSERT_GE(idx, 0) << zip_strerror(za);
    zip_set_file_compression(za, static_cast<zip_uint64_t>(idx), deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
  }
  ASSERT_EQ(zip_close(za), 0);
}

// Runs load_npz and returns the message of the std::runtime_error it must throw.
std::string load_error(const std::string& path, std::size_t limit = std::size_t(2) << 30) {
  try {
    load_npz(path, limit);
  } catch (const std::runtime_error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("WRONG EXCEPTION TYPE: ") + e.what();
  }
  return "NO EXCEPTION";
}

struct BadMember {
  const char* label;
  std::string member_name;
  std::string bytes;
  const char* expected;  // substring of the message
};

TEST(NpzMalformed, EachBadMemberGetsOneClearMessage) {
  const std::string f4_23 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  const std::vector<BadMember> cases{
      {"shape product overflows", "W1.npy",
       npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000, 1000000000000), }", 16),
       "shape (1000000000000, 1000000000000) of dtype <f8 has more bytes than fit in memory"},
      {"shape bigger than the member", "W1.npy",
       npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }", 16),
       "shape (1000000, 1000000) of dtype <f8 needs 8000000000000 data bytes, but the member holds 16"},
      {"data short by 4 bytes", "W1.npy", npy_file(f4_23, 20), "needs 24 data bytes, but the member holds 20"},
      {"data 1 byte too long", "W1.npy", npy_file(f4_23, 25), "needs 24 data bytes, but the member holds 25"},
      {"complex dtype", "W1.npy", npy_file("{'descr': '<c16', 'fortran_order': False, 'shape': (2,), }", 32),
       "unsupported dtype '<c16' (expected one of <f4, <f8, |u1, <i4, <i8, <u8, in either byte order)"},
      {"object dtype", "W1.npy", npy_file("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", 16),
       "unsupported dtype '|O'"},
      {"missing key", "W1.npy", npy_file("{'descr': '<f4', 'shape': (2, 3), }", 24),
       "missing key 'fortran_order'"},
      {"unknown key", "W1.npy", npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", 8),
       "unexpected key 'x'"},
      {"negative dim", "W1.npy", npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", 8),
       "expected a non-negative integer"},
      {"not a dict", "W1.npy", npy_file("hello", 0), "bad .npy header: expected '{', found 'h'"},
      {"unterminated dict", "W1.npy", npy_file("{'descr': '<f4', ", 0), "bad .npy header"},
      {"bad magic", "W1.npy", "\x93NUMPZ\x01\x00" + std::string(100, ' '), "expected magic \\x93NUMPY"},
      {"version 4.0", "W1.npy", npy_file(f4_23, 24, 4), "unsupported .npy format version 4.0"},
      {"header length beyond member", "W1.npy", std::string("\x93NUMPY\x01\x00\xff\x7f", 10) + "{}",
       "truncated .npy: header needs 32777 bytes, member has 12"},
      {"header length over limit", "W1.npy", std::string("\x93NUMPY\x02\x00\x00\x00\x00\x01", 12) + "{}",
       "header length 16777216 exceeds the limit of 65536 bytes"},
      {"member shorter than the magic", "W1.npy", "\x93NU", "expected magic \\x93NUMPY, found \"\\x93NU\""},
      {"not a .npy member", "readme.txt", "hello", "member 'readme.txt': expected a '<name>.npy' member"},
  };
  TempDir dir;
  for (const BadMember& c : cases) {
    SCOPED_TRACE(c.label);
    const std::string path = dir.file("bad.npz");
    write_zip(path, {{"ok.npy", npy_file(f4_23, 24)}, {c.member_name, c.bytes}});
    std::string msg = load_error(path);
    EXPECT_NE(msg.find(c.expected), std::string::npos) << msg;
    EXPECT_NE(msg.find(path), std::string::npos) << msg;                       // names the file
    EXPECT_NE(msg.find("'" + c.member_name + "'"), std::string::npos) << msg;  // and the member
  }
}

TEST(NpzMalformed, DuplicateArrayNamesAreRefused) {
  TempDir dir;
  const std::string path = dir.file("dup.npz");
  const std::string ok = npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 4);
  write_zip(path, {{"a.npy", ok}, {"b.npy", ok}});
  // Rename member b to a in the raw bytes (local header and central directory); the CRCs only
  // cover the data, so the archive stays consistent apart from the duplicate.
  std::string bytes = test::slurp(path);
  for (std::size_t at = bytes.find("b.npy"); at != std::string::npos; at = bytes.find("b.npy", at)) bytes[at] = 'a';
  test::spit(path, bytes);
  std::string msg = load_error(path);
  EXPECT_NE(msg.find(path + ": duplicate member names"), std::string::npos) << msg;
}

TEST(NpzMalformed, NotAZipEmptyAndMissingFiles) {
  TempDir dir;
  test::spit(dir.file("text.npz"), "this is not a zip archive, just some text that is long enough");
  EXPECT_NE(load_error(dir.file("text.npz")).find("text.npz is not an .npz file: expected a zip archive"),
            std::string::npos);
  // A bare .npy is not an .npz either.
  auto npy = npy_encode(to_npy("a", Tensor<float>(Shape{3})));
  test::spit(dir.file("a.npy"), std::string(npy.begin(), npy.end()));
  EXPECT_NE(load_error(dir.file("a.npy")).find("is not an .npz file"), std::string::npos);
  test::spit(dir.file("empty.npz"), "");
  EXPECT_NE(load_error(dir.file("empty.npz")).find("empty.npz is an empty file (0 bytes)"), std::string::npos);
  EXPECT_NE(load_error(dir.file("missing.npz")).find("cannot open " + dir.file("missing.npz") +
                                                      ": No such file or directory"),
            std::string::npos);
  EXPECT_NE(load_error(dir.path().string()).find("is not a regular file"), std::string::npos);
}

class NpzDamaged : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    Tensor<float> w(Shape{8, 16});
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i % 97) * 0.01f;
    original_ = {to_npy("W1", w), to_npy("t", std::vector<std::int64_t>{1, 2, 3})};
    save_npz(dir_.file("good.npz"), original_, GetParam());
    good_ = test::slurp(dir_.file("good.npz"));
  }
  TempDir dir_;
  std::vector<NpyArray> original_;
  std::string good_;
};

TEST_P(NpzDamaged, TruncatedAtAnyOffsetIsRefused) {
  const std::string path = dir_.file("cut.npz");
  for (std::size_t len : {std::size_t{1}, std::size_t{4}, std::size_t{30}, std::size_t{100}, good_.size() / 2,
                          good_.size() - 22, good_.size() - 1}) {
    SCOPED_TRACE(len);
    test::spit(path, good_.substr(0, len));
    std::string msg = load_error(path);
    EXPECT_NE(msg.find(path + " is not an .npz file: expected a zip archive"), std::string::npos) << msg;
  }
}

TEST_P(NpzDamaged, MissingMiddleIsRefused) {
  // End-of-directory intact, but the bytes of a member cut out: the offsets no longer match.
  const std::string path = dir_.file("hole.npz");
  test::spit(path, good_.substr(0, 200) + good_.substr(400));
  std::string msg = load_error(path);
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_EQ(msg.find("NO EXCEPTION"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("WRONG EXCEPTION"), std::string::npos) << msg;
}

TEST_P(NpzDamaged, FlippedDataByteFailsTheChecksum) {
  // Byte 300 is inside W1's data (stored) or its deflate stream (compressed).
  std::string bad = good_;
  bad[300] = static_cast<char>(bad[300] ^ 0x10);
  test::spit(dir_.file("flip.npz"), bad);
  std::string msg = load_error(dir_.file("flip.npz"));
  EXPECT_NE(msg.find("member 'W1.npy'"), std::string::npos) << msg;
  if (!GetParam()) {
    EXPECT_NE(msg.find("CRC error"), std::string::npos) << msg;
  }
}

TEST_P(NpzDamaged, AnySingleFlippedByteThrowsOrLoadsTheSameArrays) {
  // Every byte position, flipped: the result is either a clean runtime_error or (for bytes no
  // reader depends on, such as timestamps) exactly the original arrays -- never wrong data.
  const std::string path = dir_.file("fuzz.npz");
  int refused = 0;
  for (std::size_t i = 0; i < good_.size(); ++i) {
    std::string bad = good_;
    bad[i] = static_cast<char>(bad[i] ^ 0xA5);
    test::spit(path, bad);
    try {
      auto m = load_npz(path);
      ASSERT_EQ(m.size(), 2u) << "byte " << i;
      EXPECT_EQ(m.at("W1").bytes, original_[0].bytes) << "byte " << i;
      EXPECT_EQ(m.at("W1").shape, original_[0].shape) << "byte " << i;
      EXPECT_EQ(m.at("t").bytes, original_[1].bytes) << "byte " << i;
    } catch (const std::runtime_error& e) {
      ++refused;
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
  EXPECT_GT(refused, static_cast<int>(good_.size() / 2));
}

INSTANTIATE_TEST_SUITE_P(StoredAndDeflated, NpzDamaged, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "compressed" : "stored"; });

TEST(NpzMalformed, SizeClaimedByTheZipButNotBackedByDataIsRefused) {
  // Header and zip directory agree on a 1 GiB array, but the deflate stream holds 16 bytes.
  TempDir dir;
  const std::string path = dir.file("liar.npz");
  const std::string npy = npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (268435456,), }", 16);
  write_zip(path, {{"W1.npy", npy}}, true);
  std::string bytes = test::slurp(path);
  const std::uint32_t claimed = static_cast<std::uint32_t>(npy.size() - 16 + (std::size_t(1) << 30));
  auto patch = [&](std::size_t at) {
    for (int i = 0; i < 4; ++i) bytes[at + i] = static_cast<char>(claimed >> (8 * i) & 0xff);
  };
  ASSERT_EQ(bytes.compare(0, 4, "PK\x03\x04"), 0);
  patch(22);  // local header: uncompressed size
  std::size_t central = bytes.find("PK\x01\x02");
  ASSERT_NE(central, std::string::npos);
  patch(central + 24);  // central directory: uncompressed size
  test::spit(path, bytes);
  std::string msg = load_error(path);
  EXPECT_NE(msg.find(path + ": member 'W1.npy'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated member"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("NO EXCEPTION"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("WRONG EXCEPTION"), std::string::npos) << msg;
}

TEST(NpzMalformed, TotalUncompressedSizeIsBounded) {
  TempDir dir;
  save_npz(dir.file("m.npz"), {to_npy("a", Tensor<float>(Shape{1000})), to_npy("b", Tensor<float>(Shape{1000}))});
  std::string msg = load_error(dir.file("m.npz"), 5000);
  EXPECT_NE(msg.find("arrays add up to more than 5000 bytes uncompressed (member 'b.npy' alone claims 4128)"),
            std::string::npos)
      << msg;
  EXPECT_EQ(load_npz(dir.file("m.npz"), 8256).size(), 2u);  // exactly at the limit is fine
}

}  // namespace
}  // namespace dlfs
