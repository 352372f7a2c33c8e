// decode_digit_image (the bytes of an upload) and digit_to_input: the preparation `dlfs serve`
// shares with `dlfs predict --image`, checked on pictures whose MNIST form is known exactly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "data/data_test_util.hpp"
#include "dlfs/data/image.hpp"

using dlfs::test::TempDir;
using ::testing::HasSubstr;

namespace {

std::string error_of(const std::string& bytes, const std::string& name) {
  try {
    dlfs::decode_digit_image(bytes, name);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A 16 x 8 dark rectangle on light paper, as PNG bytes.
std::string rectangle_png(const TempDir& dir) {
  std::vector<std::uint8_t> px(50 * 40, 240);
  for (std::size_t y = 20; y < 28; ++y)
    for (std::size_t x = 30; x < 46; ++x) px[y * 50 + x] = 10;
  dlfs::save_png_grey(dir / "rect.png", px.data(), 50, 40);
  return slurp(dir / "rect.png");
}

TEST(DigitImageMemory, FilledRectangleIsInvertedCroppedScaledAndCentredByMass) {
  TempDir dir;
  auto img = dlfs::decode_digit_image(rectangle_png(dir), "upload");
  ASSERT_EQ(img.shape(), (dlfs::Shape{28, 28}));
  // Bounding box 16 x 8 -> longer side 20, so 20 x 10. Centre of mass (10, 5) -> offsets
  // floor(14 - 10 + 0.5) = 4 across and floor(14 - 5 + 0.5) = 9 down. Dark ink on light paper
  // was inverted: the rectangle is white (255) on black.
  for (std::size_t y = 0; y < 28; ++y)
    for (std::size_t x = 0; x < 28; ++x) {
      bool ink = y >= 9 && y < 19 && x >= 4 && x < 24;
      ASSERT_EQ(img(y, x), ink ? 255 : 0) << y << "," << x;
    }
  // Divided by 255: exactly 1 on the ink, 0 elsewhere, in row-major order.
  auto x = dlfs::digit_to_input(img);
  ASSERT_EQ(x.size(), 784u);
  EXPECT_EQ(x[9 * 28 + 4], 1.0f);
  EXPECT_EQ(x[18 * 28 + 23], 1.0f);
  EXPECT_EQ(x[8 * 28 + 4], 0.0f);
  EXPECT_EQ(x[9 * 28 + 24], 0.0f);
}

TEST(DigitImageMemory, SameAsTheFileForPredict) {
  TempDir dir;
  auto from_bytes = dlfs::decode_digit_image(rectangle_png(dir), "upload");
  auto from_file = dlfs::load_digit_image(dir / "rect.png");
  EXPECT_TRUE(std::equal(from_bytes.begin(), from_bytes.end(), from_file.begin()));
}

TEST(DigitImageMemory, DigitToInputDividesBy255) {
  dlfs::Tensor<std::uint8_t> img(dlfs::Shape{28, 28});
  img(0, 0) = 255, img(0, 1) = 51, img(27, 27) = 102;
  auto x = dlfs::digit_to_input(img);
  EXPECT_FLOAT_EQ(x[0], 1.0f);
  EXPECT_FLOAT_EQ(x[1], 0.2f);
  EXPECT_FLOAT_EQ(x[783], 0.4f);
  EXPECT_EQ(x[2], 0.0f);
}

TEST(DigitImageMemory, EmptyBlankAndGarbageBytesAreRefused) {
  TempDir dir;
  EXPECT_EQ(error_of("", "upload"), "upload: expected a PNG, JPEG or BMP image, found an empty file");
  EXPECT_THAT(error_of("GIF89a not supported", "upload"),
              HasSubstr("upload: expected a PNG, JPEG or BMP image, stb_image could not read it: "));
  std::vector<std::uint8_t> blank(30 * 30, 255);  // a white sheet, no ink
  dlfs::save_png_grey(dir / "blank.png", blank.data(), 30, 30);
  EXPECT_EQ(error_of(slurp(dir / "blank.png"), "upload"),
            "upload: expected a digit (ink contrasting with the background), found a nearly uniform image");
}

}  // namespace
