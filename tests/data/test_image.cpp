// Digit images: PNGs written here are inverted, cropped, scaled and centred by mass like MNIST.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <numeric>

#include "data/data_test_util.hpp"
#include "dlfs/data/image.hpp"

// To write a grey+alpha PNG, which save_png_grey does not do. Static, so it cannot clash with the
// copy inside dlfs_data.
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb_image_write.h>
#pragma GCC diagnostic pop

using dlfs::test::TempDir;
using ::testing::HasSubstr;

namespace {

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

// A w x h canvas of `bg` with rectangles [x0, x1) x [y0, y1) of `ink`.
struct Canvas {
  std::size_t w, h;
  std::vector<std::uint8_t> px;
  Canvas(std::size_t w_, std::size_t h_, std::uint8_t bg) : w(w_), h(h_), px(w_ * h_, bg) {}
  void rect(std::size_t x0, std::size_t y0, std::size_t x1, std::size_t y1, std::uint8_t ink) {
    for (std::size_t y = y0; y < y1; ++y)
      for (std::size_t x = x0; x < x1; ++x) px[y * w + x] = ink;
  }
};

std::size_t ink_total(const dlfs::Tensor<std::uint8_t>& img) {
  return std::accumulate(img.begin(), img.end(), std::size_t(0));
}

TEST(DigitImage, LightBackgroundBarIsInvertedScaledAndCentred) {
  TempDir dir;
  Canvas c(60, 50, 230);     // light paper
  c.rect(5, 10, 10, 40, 20);  // a dark bar 5 wide, 30 tall, off to the left
  dlfs::save_png_grey(dir / "one.png", c.px.data(), c.w, c.h);
  auto img = dlfs::load_digit_image(dir / "one.png");
  ASSERT_EQ(img.shape(), (dlfs::Shape{28, 28}));
  // 30 tall -> 20; 5 wide -> round(5 * 20 / 30) = 3, each cell fully inked -> 255.
  // Centre of mass (1.5, 10) -> offsets floor(14 - 1.5 + 0.5) = 13 and 14 - 10 = 4.
  for (std::size_t y = 0; y < 28; ++y)
    for (std::size_t x = 0; x < 28; ++x) {
      bool ink = y >= 4 && y < 24 && x >= 13 && x < 16;
      ASSERT_EQ(img(y, x), ink ? 255 : 0) << y << "," << x;
    }
}

TEST(DigitImage, CentredByMassNotByBox) {
  // A 20x20 "Γ" (2-px strokes) on black: no inversion, no scaling. Its centre of mass is
  // (40 * 10 + 36 * 1) / 76 = 5.74 from the top-left on both axes, so it shifts by
  // floor(14 - 5.74 + 0.5) = 8 (the box centre would have given 4).
  Canvas c(40, 30, 0);
  c.rect(10, 5, 30, 7, 255);  // top bar: 20 x 2
  c.rect(10, 7, 12, 25, 255);  // left bar: 2 x 18
  auto img = dlfs::mnistify(c.px.data(), c.w, c.h, "gamma");
  EXPECT_EQ(img(8, 8), 255);
  EXPECT_EQ(img(8, 27), 255);   // end of the top bar
  EXPECT_EQ(img(27, 8), 255);   // foot of the left bar
  EXPECT_EQ(img(7, 8), 0);
  EXPECT_EQ(img(10, 10), 0);    // inside the corner
  EXPECT_EQ(ink_total(img), 76u * 255u);
}

TEST(DigitImage, AreaAveragingWhenShrinking) {
  // A 40x40 square of ink on black shrinks to 20x20 with every cell full; a 1-px line of a 40x40
  // box becomes half-intensity (each output cell covers 2 source columns).
  Canvas c(64, 64, 0);
  c.rect(10, 10, 50, 50, 200);
  c.rect(11, 11, 49, 49, 0);  // hollow square with 1-px walls
  auto img = dlfs::mnistify(c.px.data(), c.w, c.h, "box");
  // Stretch maps 200 -> 255; the left wall sits at column 4 (box of 20 centred: 14 - 10 = 4).
  EXPECT_EQ(img(10, 4), 128);  // wall cell: 2 of 4 source pixels inked, 255 / 2 = 127.5 -> 128
  EXPECT_EQ(img(4, 4), 191);   // corner cell: 3 of 4 inked, 191.25
  EXPECT_EQ(img(4, 23), 191);  // the opposite corner of the 20x20 box
  EXPECT_EQ(img(10, 10), 0);   // hollow inside
  EXPECT_EQ(img(3, 4), 0);     // just outside
}

TEST(DigitImage, TransparentPngIsCompositedOverWhite) {
  // Grey+alpha PNG: black ink on a fully transparent (black, alpha 0) background. Shown over white
  // it is dark on light, so it is inverted and gives the same digit as an opaque drawing.
  TempDir dir;
  std::vector<std::uint8_t> ga(40 * 40 * 2, 0);  // grey 0, alpha 0 everywhere
  for (std::size_t y = 10; y < 30; ++y)
    for (std::size_t x = 18; x < 22; ++x) ga[2 * (y * 40 + x) + 1] = 255;  // opaque black bar 4 x 20
  ASSERT_TRUE(stbi_write_png((dir / "alpha.png").c_str(), 40, 40, 2, ga.data(), 80));
  auto img = dlfs::load_digit_image(dir / "alpha.png");
  // 20 tall stays 20, 4 wide stays 4; centre of mass (2, 10) -> offsets 12 and 4.
  EXPECT_EQ(img(4, 12), 255);
  EXPECT_EQ(img(23, 15), 255);
  EXPECT_EQ(img(4, 11), 0);
  EXPECT_EQ(img(24, 15), 0);
  EXPECT_EQ(ink_total(img), 80u * 255u);
}

TEST(DigitImage, UniformImageHasNoDigit) {
  Canvas c(10, 10, 255);
  EXPECT_EQ(error_of([&] { dlfs::mnistify(c.px.data(), c.w, c.h, "blank.png"); }),
            "blank.png: expected a digit (ink contrasting with the background), found a nearly uniform image");
}

TEST(DigitImage, GarbageEmptyAndMissingFiles) {
  TempDir dir;
  dlfs::test::write_text(dir / "garbage.png", "this is not a png at all, just text");
  EXPECT_THAT(error_of([&] { dlfs::load_digit_image(dir / "garbage.png"); }),
              HasSubstr(dir / "garbage.png" + ": expected a PNG, JPEG or BMP image, stb_image could not read it: "));
  dlfs::test::write_text(dir / "empty.png", "");
  EXPECT_EQ(error_of([&] { dlfs::load_digit_image(dir / "empty.png"); }),
            dir / "empty.png" + ": expected a PNG, JPEG or BMP image, found an empty file");
  EXPECT_EQ(error_of([&] { dlfs::load_digit_image(dir / "missing.png"); }), dir / "missing.png" + ": cannot open: no such file");
  // A PNG cut in half: the header parses, the pixels do not.
  Canvas c(50, 50, 0);
  c.rect(20, 20, 30, 30, 255);
  dlfs::save_png_grey(dir / "ok.png", c.px.data(), c.w, c.h);
  auto size = std::filesystem::file_size(dir.path / "ok.png");
  std::filesystem::resize_file(dir.path / "ok.png", size / 2);
  // The IDAT chunk now declares more bytes than the file holds: refused before stb allocates.
  EXPECT_THAT(error_of([&] { dlfs::load_digit_image(dir / "ok.png"); }),
              HasSubstr(dir / "ok.png" + ": truncated PNG: chunk IDAT declares "));
}

TEST(DigitImage, AsciiArtByIntensity) {
  std::uint8_t img[] = {0, 255, 128, 64};
  EXPECT_EQ(dlfs::ascii_art(img, 2, 2), "  @@\n++::\n");
}

}  // namespace
