// im2col / col2im (both layouts) against their definitions written out with a padded image.
#include <gtest/gtest.h>

#include "dlfs/layers/im2col.hpp"
#include "dlfs/rng.hpp"

using namespace dlfs;

namespace {

struct Case {
  Shape x;  // (N, C, H, W)
  std::size_t FH, FW, stride, pad;
};

// A case list covering stride 1 and 2, padding 0..2, square and non-square inputs and filters,
// windows that do not tile the input exactly, and a filter as large as the padded input.
const std::vector<Case> kCases = {
    {{1, 1, 4, 4}, 3, 3, 1, 0}, {{2, 3, 7, 7}, 5, 5, 1, 0}, {{2, 2, 6, 5}, 3, 2, 2, 1},
    {{3, 2, 7, 9}, 3, 3, 2, 1}, {{2, 3, 5, 8}, 2, 4, 3, 2}, {{1, 2, 3, 3}, 5, 5, 1, 1},
    {{2, 1, 4, 6}, 1, 1, 2, 0}, {{1, 1, 2, 2}, 3, 3, 1, 2},
};

Tensor<double> random_tensor(const Shape& s, std::uint64_t seed) {
  Rng rng(seed);
  Tensor<double> t(s);
  for (auto& v : t) v = rng.uniform(-1, 1);
  return t;
}

// x at padded coordinates (y, x): zero outside the image.
double padded(const Tensor<double>& x, std::size_t n, std::size_t c, std::size_t y, std::size_t xx, std::size_t pad) {
  if (y < pad || xx < pad || y - pad >= x.dim(2) || xx - pad >= x.dim(3)) return 0;
  return x(n, c, y - pad, xx - pad);
}

// The definition: row (n, oy, ox), column (c, ky, kx) = x_padded[n, c, oy*s + ky, ox*s + kx].
Tensor<double> naive_im2col(const Tensor<double>& x, const Case& k) {
  const std::size_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  const std::size_t OH = (H + 2 * k.pad - k.FH) / k.stride + 1, OW = (W + 2 * k.pad - k.FW) / k.stride + 1;
  Tensor<double> col({N * OH * OW, C * k.FH * k.FW});
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t oy = 0; oy < OH; ++oy)
      for (std::size_t ox = 0; ox < OW; ++ox)
        for (std::size_t c = 0; c < C; ++c)
          for (std::size_t ky = 0; ky < k.FH; ++ky)
            for (std::size_t kx = 0; kx < k.FW; ++kx)
              col((n * OH + oy) * OW + ox, (c * k.FH + ky) * k.FW + kx) =
                  padded(x, n, c, oy * k.stride + ky, ox * k.stride + kx, k.pad);
  return col;
}

// col2im is the adjoint of im2col: every entry of col is added back to the pixel it came from
// (entries that came from padding are dropped).
Tensor<double> naive_col2im(const Tensor<double>& col, const Case& k) {
  const std::size_t N = k.x[0], C = k.x[1], H = k.x[2], W = k.x[3];
  const std::size_t OH = (H + 2 * k.pad - k.FH) / k.stride + 1, OW = (W + 2 * k.pad - k.FW) / k.stride + 1;
  Tensor<double> x(k.x);
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t oy = 0; oy < OH; ++oy)
      for (std::size_t ox = 0; ox < OW; ++ox)
        for (std::size_t c = 0; c < C; ++c)
          for (std::size_t ky = 0; ky < k.FH; ++ky)
            for (std::size_t kx = 0; kx < k.FW; ++kx) {
              std::size_t y = oy * k.stride + ky, xx = ox * k.stride + kx;
              if (y < k.pad || xx < k.pad || y - k.pad >= H || xx - k.pad >= W) continue;
              x(n, c, y - k.pad, xx - k.pad) += col((n * OH + oy) * OW + ox, (c * k.FH + ky) * k.FW + kx);
            }
  return x;
}

Tensor<double> transpose(const Tensor<double>& a) {
  Tensor<double> t({a.dim(1), a.dim(0)});
  for (std::size_t i = 0; i < a.dim(0); ++i)
    for (std::size_t j = 0; j < a.dim(1); ++j) t(j, i) = a(i, j);
  return t;
}

std::string label(const Case& k) {
  return "x " + shape_str(k.x) + " filter " + std::to_string(k.FH) + "x" + std::to_string(k.FW) + " stride " +
         std::to_string(k.stride) + " pad " + std::to_string(k.pad);
}

}  // namespace

TEST(Im2col, BookShapes) {
  // The book's examples (7.4.3): 5x5 windows over 7x7 images with 3 channels.
  Tensor<double> x1({1, 3, 7, 7});
  EXPECT_EQ(im2col(x1, 5, 5, 1, 0).shape(), (Shape{9, 75}));
  Tensor<double> x2({10, 3, 7, 7});
  EXPECT_EQ(im2col(x2, 5, 5, 1, 0).shape(), (Shape{90, 75}));
}

TEST(Im2col, HandCaseWithPadding) {
  // x = [[1, 2], [3, 4]], 2x2 windows, pad 1: the 9 windows of the 4x4 zero-padded image.
  Tensor<double> x({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor<double> col = im2col(x, 2, 2, 1, 1);
  ASSERT_EQ(col.shape(), (Shape{9, 4}));
  const std::vector<double> expected = {0, 0, 0, 1,  0, 0, 1, 2,  0, 0, 2, 0,  //
                                        0, 1, 0, 3,  1, 2, 3, 4,  2, 0, 4, 0,  //
                                        0, 3, 0, 0,  3, 4, 0, 0,  4, 0, 0, 0};
  EXPECT_EQ(col.vec(), expected);
  // col2im of all ones counts how many windows see each pixel: 4 each here.
  Tensor<double> ones(col.shape(), 1.0);
  EXPECT_EQ(col2im(ones, x.shape(), 2, 2, 1, 1).vec(), (std::vector<double>{4, 4, 4, 4}));
}

TEST(Im2col, BookLayoutMatchesDefinition) {
  std::uint64_t seed = 1;
  for (const Case& k : kCases) {
    Tensor<double> x = random_tensor(k.x, seed++);
    Tensor<double> col = im2col(x, k.FH, k.FW, k.stride, k.pad);
    EXPECT_EQ(col, naive_im2col(x, k)) << label(k);
  }
}

TEST(Im2col, TransposedLayoutIsTheBookColTransposed) {
  std::uint64_t seed = 100;
  for (const Case& k : kCases) {
    Tensor<double> x = random_tensor(k.x, seed++);
    ConvGeometry g = conv_geometry(k.x, k.FH, k.FW, k.stride, k.pad, "test");
    Tensor<double> col_t({1});  // stale contents and shape must not matter
    col_t[0] = 42;
    im2col_transposed(x, g, col_t);
    EXPECT_EQ(col_t, transpose(naive_im2col(x, k))) << label(k);
  }
}

TEST(Col2im, BothLayoutsMatchTheAdjointDefinition) {
  std::uint64_t seed = 200;
  for (const Case& k : kCases) {
    ConvGeometry g = conv_geometry(k.x, k.FH, k.FW, k.stride, k.pad, "test");
    Tensor<double> col = random_tensor({g.col_rows(), g.col_cols()}, seed++);
    Tensor<double> expected = naive_col2im(col, k);
    Tensor<double> x = col2im(col, k.x, k.FH, k.FW, k.stride, k.pad);
    ASSERT_EQ(x.shape(), k.x);
    Tensor<double> xt(k.x, 7.0);  // col2im must overwrite, not accumulate into, old contents
    col2im_transposed(transpose(col), g, xt);
    for (std::size_t i = 0; i < expected.size(); ++i) {
      EXPECT_NEAR(x[i], expected[i], 1e-12) << label(k) << " at " << i;
      EXPECT_NEAR(xt[i], expected[i], 1e-12) << label(k) << " at " << i;
    }
  }
}

TEST(Im2col, GeometryAndErrors) {
  ConvGeometry g = conv_geometry({2, 3, 28, 28}, 5, 5, 1, 0, "Convolution");
  EXPECT_EQ(g.out_h, 24u);
  EXPECT_EQ(g.out_w, 24u);
  g = conv_geometry({2, 3, 7, 9}, 3, 3, 2, 1, "Convolution");  // (7 + 2 - 3) / 2 + 1, (9 + 2 - 3) / 2 + 1
  EXPECT_EQ(g.out_h, 4u);
  EXPECT_EQ(g.out_w, 5u);
  EXPECT_EQ(g.col_rows(), 2u * 4 * 5);
  EXPECT_EQ(g.col_cols(), 3u * 3 * 3);

  try {
    conv_geometry({100, 784}, 5, 5, 1, 0, "Convolution");
    FAIL() << "no throw";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "Convolution: expected input (N, C, H, W), got (100, 784)");
  }
  try {
    conv_geometry({1, 1, 3, 3}, 5, 5, 1, 0, "Convolution");
    FAIL() << "no throw";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(),
                 "Convolution: 5x5 window does not fit in the padded input 3x3 (input (1, 1, 3, 3), pad 0)");
  }
  EXPECT_NO_THROW(conv_geometry({1, 1, 3, 3}, 5, 5, 1, 1, "Convolution"));  // 3 + 2*1 = 5 fits exactly
  EXPECT_THROW(conv_geometry({1, 1, 3, 3}, 2, 2, 0, 0, "Pooling"), std::invalid_argument);
  Tensor<double> col({9, 4});
  EXPECT_THROW(col2im(col, {1, 1, 3, 3}, 2, 2, 1, 0), ShapeError);  // needs (4, 4)
}
