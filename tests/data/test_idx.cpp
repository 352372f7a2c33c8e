// IDX reader: round trips and every hostile file giving its own error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "data/data_test_util.hpp"
#include "dlfs/data/idx.hpp"

using dlfs::test::gzip_bytes;
using dlfs::test::idx_bytes;
using dlfs::test::TempDir;
using dlfs::test::write_bytes;
using ::testing::AllOf;
using ::testing::HasSubstr;

namespace {

// The error message of f(), or "" when it does not throw std::runtime_error.
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

const std::vector<std::uint8_t> kPixels = {0, 1, 2, 3, 250, 251, 252, 255, 9, 8, 7, 6};  // 3 images of 2x2

TEST(Idx, ImagesRoundTripRawAndGzip) {
  TempDir dir;
  dlfs::Tensor<std::uint8_t> x(dlfs::Shape{3, 2, 2}, kPixels);
  for (std::string name : {"img-idx3-ubyte", "img-idx3-ubyte.gz"}) {
    dlfs::write_idx_images(dir / name, x);
    auto y = dlfs::read_idx_images(dir / name);
    EXPECT_EQ(y.shape(), (dlfs::Shape{3, 2, 2})) << name;
    EXPECT_EQ(y.vec(), kPixels) << name;
  }
  // The .gz really is gzip (magic 1f 8b) and the raw file is header + pixels, byte for byte.
  EXPECT_EQ(std::filesystem::file_size(dir.path / "img-idx3-ubyte"), 16u + 12u);
  std::ifstream gz(dir / "img-idx3-ubyte.gz", std::ios::binary);
  EXPECT_EQ(gz.get(), 0x1f);
  EXPECT_EQ(gz.get(), 0x8b);
}

TEST(Idx, LabelsRoundTripRawAndGzip) {
  TempDir dir;
  std::vector<std::uint8_t> t = {7, 2, 1, 0, 4};
  for (std::string name : {"lab", "lab.gz"}) {
    dlfs::write_idx_labels(dir / name, t);
    EXPECT_EQ(dlfs::read_idx_labels(dir / name), t) << name;
  }
}

TEST(Idx, ReadsHandMadeBytesFromMemory) {
  auto raw = idx_bytes(2051, {3, 2, 2}, kPixels);
  EXPECT_EQ(raw[3], 0x03);  // 2051 = 0x803
  auto x = dlfs::parse_idx_images(raw.data(), raw.size(), "mem");
  EXPECT_EQ(x.vec(), kPixels);
  auto gz = gzip_bytes(raw);
  EXPECT_EQ(dlfs::parse_idx_images(gz.data(), gz.size(), "mem.gz").vec(), kPixels);
  // Two concatenated gzip members (what `cat a.gz b.gz` gives) are one stream.
  auto head = gzip_bytes({raw.begin(), raw.begin() + 10}), tail = gzip_bytes({raw.begin() + 10, raw.end()});
  head.insert(head.end(), tail.begin(), tail.end());
  EXPECT_EQ(dlfs::parse_idx_images(head.data(), head.size(), "two.gz").vec(), kPixels);
}

TEST(Idx, WrongMagicNamesFileExpectedAndFound) {
  TempDir dir;
  write_bytes(dir / "train-images-idx3-ubyte.gz", gzip_bytes(idx_bytes(2049, {4}, {1, 2, 3, 4})));
  EXPECT_EQ(error_of([&] { dlfs::read_idx_images(dir / "train-images-idx3-ubyte.gz"); }),
            dir / "train-images-idx3-ubyte.gz" + ": expected magic 2051 (images), found 2049 (labels)");
  write_bytes(dir / "lab", idx_bytes(2051, {1, 1, 1}, {0}));
  EXPECT_THAT(error_of([&] { dlfs::read_idx_labels(dir / "lab"); }),
              HasSubstr("lab: expected magic 2049 (labels), found 2051 (images)"));
  write_bytes(dir / "png", {0x89, 'P', 'N', 'G', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_THAT(error_of([&] { dlfs::read_idx_images(dir / "png"); }),
              HasSubstr("expected magic 2051 (images), found 2303741511 (not an MNIST IDX header)"));
}

TEST(Idx, TruncatedHeaderAndTruncatedData) {
  auto raw = idx_bytes(2051, {3, 2, 2}, kPixels);
  auto short_header = std::vector<std::uint8_t>(raw.begin(), raw.begin() + 10);
  EXPECT_THAT(error_of([&] { dlfs::parse_idx_images(short_header.data(), short_header.size(), "h"); }),
              HasSubstr("h: truncated: expected a 16-byte IDX images header, found only 10 bytes"));
  auto short_data = std::vector<std::uint8_t>(raw.begin(), raw.end() - 7);  // 5 of 12 pixels
  EXPECT_THAT(error_of([&] { dlfs::parse_idx_images(short_data.data(), short_data.size(), "d"); }),
              HasSubstr("d: truncated: header declares 3 x 2 x 2 = 12 bytes of images, found only 5"));
  // The same through gzip, where the size is only known by inflating.
  auto gz = gzip_bytes(short_data);
  EXPECT_THAT(error_of([&] { dlfs::parse_idx_images(gz.data(), gz.size(), "d.gz"); }),
              HasSubstr("d.gz: truncated: header declares 3 x 2 x 2 = 12 bytes of images, found only 5"));
  TempDir dir;
  write_bytes(dir / "empty", {});
  EXPECT_THAT(error_of([&] { dlfs::read_idx_labels(dir / "empty"); }),
              HasSubstr("truncated: expected a 8-byte IDX labels header, found only 0 bytes"));
}

TEST(Idx, DimsLargerThanTheFileAreRefusedBeforeAllocating) {
  // The official training header on a 20-byte file: must not allocate 47 MB and then fail.
  TempDir dir;
  write_bytes(dir / "liar", idx_bytes(2051, {60000, 28, 28}, {1, 2, 3, 4}));
  EXPECT_THAT(error_of([&] { dlfs::read_idx_images(dir / "liar"); }),
              HasSubstr("liar: truncated: header declares 60000 x 28 x 28 = 47,040,000 bytes of images, found only 4"));
  // gzip: memory grows with what actually inflates, and the shortfall is reported.
  write_bytes(dir / "liar.gz", gzip_bytes(idx_bytes(2049, {1000000}, {1, 2, 3})));
  EXPECT_THAT(error_of([&] { dlfs::read_idx_labels(dir / "liar.gz"); }),
              HasSubstr("truncated: header declares 1000000 = 1,000,000 bytes of labels, found only 3"));
}

TEST(Idx, DimsWhoseProductOverflowsOrExceedsOneGiB) {
  auto huge = idx_bytes(2051, {0xffffffffu, 0xffffffffu, 0xffffffffu}, {});
  EXPECT_THAT(error_of([&] { dlfs::parse_idx_images(huge.data(), huge.size(), "o"); }),
              AllOf(HasSubstr("o: header declares images of dimensions 4294967295 x 4294967295 x 4294967295"),
                    HasSubstr("expected at most 1,073,741,824 bytes")));
  auto big = idx_bytes(2051, {2048, 1024, 513}, {});  // 1 GiB + 2 MiB: no overflow, over the cap
  EXPECT_THAT(error_of([&] { dlfs::parse_idx_images(big.data(), big.size(), "b"); }),
              HasSubstr("expected at most 1,073,741,824 bytes"));
  auto zero = idx_bytes(2051, {5, 0, 28}, {});
  EXPECT_THAT(error_of([&] { dlfs::parse_idx_images(zero.data(), zero.size(), "z"); }),
              HasSubstr("z: header declares dimensions 5 x 0...: expected every dimension >= 1, found 0"));
}

TEST(Idx, TrailingBytesRawAndGzip) {
  auto raw = idx_bytes(2049, {3}, {1, 2, 3, 99});
  EXPECT_THAT(error_of([&] { dlfs::parse_idx_labels(raw.data(), raw.size(), "t"); }),
              HasSubstr("t: trailing bytes: header declares 3 = 3 bytes of labels, found 4 (1 extra)"));
  auto gz = gzip_bytes(raw);
  EXPECT_THAT(error_of([&] { dlfs::parse_idx_labels(gz.data(), gz.size(), "t.gz"); }),
              HasSubstr("t.gz: trailing bytes: header declares 3 = 3 bytes of labels, found 1 extra bytes after them"));
  // Junk after a complete gzip stream is not silently ignored either.
  auto junk = gzip_bytes(idx_bytes(2049, {3}, {1, 2, 3}));
  junk.push_back('x');
  EXPECT_THAT(error_of([&] { dlfs::parse_idx_labels(junk.data(), junk.size(), "j.gz"); }),
              HasSubstr("j.gz: corrupt gzip data: trailing bytes after the end of the gzip stream"));
}

TEST(Idx, CorruptGzip) {
  std::vector<std::uint8_t> pixels(4096);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint8_t>(i * 31 % 251);
  auto good = gzip_bytes(idx_bytes(2051, {4, 32, 32}, pixels));
  ASSERT_EQ(dlfs::parse_idx_images(good.data(), good.size(), "ok.gz").vec(), pixels);

  auto flipped = good;  // garble the deflate data
  for (std::size_t i = 20; i < 40; ++i) flipped[i] ^= 0x5a;
  EXPECT_THAT(error_of([&] { dlfs::parse_idx_images(flipped.data(), flipped.size(), "f.gz"); }),
              HasSubstr("f.gz: corrupt gzip data: "));
  auto bad_crc = good;  // the 8-byte trailer is CRC32 then length
  bad_crc[bad_crc.size() - 8] ^= 0xff;
  EXPECT_EQ(error_of([&] { dlfs::parse_idx_images(bad_crc.data(), bad_crc.size(), "c.gz"); }),
            "c.gz: corrupt gzip data: incorrect data check");
  auto cut = std::vector<std::uint8_t>(good.begin(), good.end() - 4);  // stream ends early
  EXPECT_EQ(error_of([&] { dlfs::parse_idx_images(cut.data(), cut.size(), "cut.gz"); }),
            "cut.gz: corrupt gzip data: unexpected end of the compressed stream (file truncated?)");
}

TEST(Idx, MissingFileAndWriterChecks) {
  TempDir dir;
  EXPECT_THAT(error_of([&] { dlfs::read_idx_images(dir / "nope"); }),
              AllOf(HasSubstr("nope: cannot open: "), HasSubstr("No such file")));
  EXPECT_THAT(error_of([&] { dlfs::read_idx_images(dir.path.string()); }), HasSubstr("expected a regular file"));
  dlfs::Tensor<std::uint8_t> flat(dlfs::Shape{4, 4});
  EXPECT_THROW(dlfs::write_idx_images(dir / "x", flat), dlfs::ShapeError);
}

}  // namespace
