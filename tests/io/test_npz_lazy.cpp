// NpzFile: headers on opening, data only on read() (issue 16, hole 6: a 2 MB model file declaring
// gigabytes was inflated in full before its shape was refused).
#include <gtest/gtest.h>

#include <cstring>

#include "dlfs/io/npz.hpp"
#include "io_test_util.hpp"

using namespace dlfs;
using test::TempDir;

namespace {

// The stored archive of a (2, 3) float W1 and a (4,) int64 t, and the offset of t's last data byte.
std::string two_members(const TempDir& dir, std::size_t& t_last_byte) {
  Tensor<float> w({2, 3});
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = float(i) + 0.5f;
  save_npz(dir.file("m.npz"), {to_npy("W1", w), to_npy("t", std::vector<std::int64_t>{7, 8, 9, 0x5a5a})}, false);
  std::string bytes = test::slurp(dir.file("m.npz"));
  const std::string last = std::string("\x5a\x5a\0\0\0\0\0\0", 8);
  t_last_byte = bytes.find(last);
  return bytes;
}

}  // namespace

TEST(NpzFile, HeadersAreKnownBeforeAnyDataIsRead) {
  TempDir dir;
  std::size_t at = 0;
  std::string bytes = two_members(dir, at);
  ASSERT_NE(at, std::string::npos);
  bytes[at] ^= 0x01;  // t's data no longer matches its CRC
  test::spit(dir.file("m.npz"), bytes);

  NpzFile f(dir.file("m.npz"));  // opens: only headers are read, so the bad CRC is not seen yet
  ASSERT_EQ(f.members().size(), 2u);
  ASSERT_NE(f.find("t"), nullptr);
  EXPECT_EQ(f.find("t")->dtype, "<i8");
  EXPECT_EQ(f.find("t")->shape, (Shape{4}));
  EXPECT_EQ(f.find("t")->data_bytes, 32u);
  EXPECT_EQ(f.find("W1")->shape, (Shape{2, 3}));
  EXPECT_EQ(f.find("nothing"), nullptr);
  // W1 reads in full; t fails its CRC only when read.
  Tensor<float> w = npy_as<float>(f.read("W1"));
  EXPECT_EQ(w[5], 5.5f);
  try {
    f.read("t");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("member 't.npy'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("CRC error"), std::string::npos) << e.what();
  }
  // load_npz reads everything, so it sees the damage at once.
  EXPECT_THROW(load_npz(dir.file("m.npz")), std::runtime_error);
}

TEST(NpzFile, JsonEntriesAreCheckedOnTheirHeaderFirst) {
  TempDir dir;
  const nlohmann::json j = {{"a", {1, 2}}};
  save_npz(dir.file("j.npz"), {json_entry("cfg", j), to_npy("x", std::vector<std::int64_t>{1})}, true);
  NpzFile f(dir.file("j.npz"));
  EXPECT_EQ(f.read_json("cfg"), j);
  try {
    f.read_json("cfg", 4);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "cfg: expected JSON text of at most 4 bytes, found 11");
  }
  try {
    f.read_json("x");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "x: expected a 1-D |u1 array holding JSON text, found dtype <i8 shape (1,)");
  }
}
