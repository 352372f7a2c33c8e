// Convolution and Pooling: the book's worked examples, a naive direct convolution as reference,
// and finite-difference checks of every gradient in double precision.
#include <gtest/gtest.h>

#include <cmath>

#include "dlfs/layers/convolution.hpp"
#include "dlfs/layers/pooling.hpp"
#include "dlfs/layers/relu.hpp"
#include "dlfs/linalg.hpp"
#include "dlfs/rng.hpp"
#include "layers/layer_check.hpp"

using namespace dlfs;
using dlfs::check::check_layer;
using dlfs::check::random_input;

namespace {

// out[n, f, oy, ox] = b[f] + sum_{c, ky, kx} W[f, c, ky, kx] * x_padded[n, c, oy*s + ky, ox*s + kx]
Tensor<double> naive_conv(const Tensor<double>& x, const Tensor<double>& W, const Tensor<double>& b, std::size_t s,
                          std::size_t pad) {
  const std::size_t N = x.dim(0), C = x.dim(1), H = x.dim(2), Wd = x.dim(3);
  const std::size_t FN = W.dim(0), FH = W.dim(2), FW = W.dim(3);
  const std::size_t OH = (H + 2 * pad - FH) / s + 1, OW = (Wd + 2 * pad - FW) / s + 1;
  Tensor<double> out({N, FN, OH, OW});
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t f = 0; f < FN; ++f)
      for (std::size_t oy = 0; oy < OH; ++oy)
        for (std::size_t ox = 0; ox < OW; ++ox) {
          double acc = b[f];
          for (std::size_t c = 0; c < C; ++c)
            for (std::size_t ky = 0; ky < FH; ++ky)
              for (std::size_t kx = 0; kx < FW; ++kx) {
                std::size_t y = oy * s + ky, xx = ox * s + kx;
                if (y < pad || xx < pad || y - pad >= H || xx - pad >= Wd) continue;
                acc += W(f, c, ky, kx) * x(n, c, y - pad, xx - pad);
              }
          out(n, f, oy, ox) = acc;
        }
  return out;
}

// The book's figure 7-3 input and filter (4x4 image, 3x3 filter).
Tensor<double> book_x() { return Tensor<double>({1, 1, 4, 4}, {1, 2, 3, 0, 0, 1, 2, 3, 3, 0, 1, 2, 2, 3, 0, 1}); }
Tensor<double> book_W() { return Tensor<double>({1, 1, 3, 3}, {2, 0, 1, 0, 1, 2, 1, 0, 2}); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Convolution

TEST(Convolution, BookFigure7_3And7_5) {
  Convolution<double> conv(book_W(), Tensor<double>::from({3}));
  // Figure 7-3 gives 15 16 / 6 15; figure 7-5 adds the bias 3.
  EXPECT_EQ(conv.forward(book_x(), false).vec(), (std::vector<double>{18, 19, 9, 18}));
  EXPECT_EQ(conv.forward(book_x(), false).shape(), (Shape{1, 1, 2, 2}));
}

TEST(Convolution, BookFigure7_6Padding1) {
  Convolution<double> conv(book_W(), Tensor<double>::from({0}), 1, 1);
  EXPECT_EQ(conv.forward(book_x(), false).vec(),
            (std::vector<double>{7, 12, 10, 2, 4, 15, 16, 10, 10, 6, 15, 6, 8, 10, 4, 3}));
}

TEST(Convolution, ForwardMatchesNaiveDirectConvolution) {
  struct Case {
    Shape x, W;
    std::size_t stride, pad;
  };
  const std::vector<Case> cases = {
      {{2, 1, 28, 28}, {30, 1, 5, 5}, 1, 0},  // SimpleConvNet's first layer (batch of 2)
      {{3, 2, 7, 9}, {4, 2, 3, 3}, 2, 1},     // stride 2, padding 1, non-square
      {{2, 3, 6, 5}, {2, 3, 2, 4}, 3, 2},     // non-square filter, stride 3
      {{2, 16, 7, 7}, {32, 16, 3, 3}, 1, 2},  // DeepConvNet's conv4 (pad 2)
  };
  std::uint64_t seed = 1;
  for (const Case& k : cases) {
    Tensor<double> x = random_input(k.x, seed++), W = random_input(k.W, seed++), b = random_input({k.W[0]}, seed++);
    Convolution<double> conv(W, b, k.stride, k.pad);
    const Tensor<double>& out = conv.forward(x, false);
    Tensor<double> expected = naive_conv(x, W, b, k.stride, k.pad);
    ASSERT_EQ(out.shape(), expected.shape());
    for (std::size_t i = 0; i < out.size(); ++i) ASSERT_NEAR(out[i], expected[i], 1e-12) << "case " << seed << " i " << i;
  }
}

TEST(Convolution, FloatMatchesDouble) {
  Tensor<double> x = random_input({4, 3, 10, 8}, 11), W = random_input({5, 3, 3, 3}, 12), b = random_input({5}, 13);
  Convolution<float> conv(W.cast<float>(), b.cast<float>(), 2, 1);
  const Tensor<float>& out = conv.forward(x.cast<float>(), false);
  Tensor<double> expected = naive_conv(x, W, b, 2, 1);
  ASSERT_EQ(out.shape(), expected.shape());
  for (std::size_t i = 0; i < out.size(); ++i) ASSERT_NEAR(out[i], expected[i], 1e-4);
}

TEST(Convolution, GradientsMatchFiniteDifferences) {
  struct Case {
    Shape x, W;
    std::size_t stride, pad;
  };
  const std::vector<Case> cases = {
      {{2, 3, 5, 5}, {4, 3, 3, 3}, 1, 0},
      {{2, 2, 7, 6}, {3, 2, 3, 3}, 2, 1},  // stride 2 and padding 1, with a window that does not tile
      {{1, 2, 4, 5}, {2, 2, 2, 3}, 1, 2},
  };
  std::uint64_t seed = 50;
  for (const Case& k : cases) {
    Convolution<double> conv(random_input(k.W, seed), random_input({k.W[0]}, seed + 1), k.stride, k.pad);
    // The output is linear in x, W and b, so central differences have no truncation error and a
    // larger step only shrinks round-off.
    dlfs::check::LayerCheckOptions o;
    o.h = 1e-3;
    auto r = check_layer(conv, random_input(k.x, seed + 2), o);
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_LT(r.worst, 1e-9) << r.report;
    seed += 3;
  }
}

TEST(Convolution, BackwardWithoutDxStillFillsParamGradients) {
  Tensor<double> x = random_input({2, 2, 6, 6}, 3);
  Convolution<double> a(random_input({3, 2, 3, 3}, 4), random_input({3}, 5), 1, 1);
  Convolution<double> b = a;
  b.set_need_dx(false);
  Tensor<double> dout = random_input({2, 3, 6, 6}, 6);
  a.forward(x, true);
  EXPECT_EQ(a.backward(dout).shape(), x.shape());
  b.forward(x, true);
  EXPECT_TRUE(b.backward(dout).empty());
  EXPECT_EQ(a.W().grad, b.W().grad);
  EXPECT_EQ(a.b().grad, b.b().grad);
  // db is the sum of dout over the batch and the map.
  double sum0 = 0;
  for (std::size_t n = 0; n < 2; ++n)
    for (std::size_t p = 0; p < 36; ++p) sum0 += dout[(n * 3 + 0) * 36 + p];
  EXPECT_NEAR(a.b().grad[0], sum0, 1e-12);
}

TEST(Convolution, BatchSizeChangesBetweenCalls) {
  // Buffers are reused across batches; a smaller batch after a larger one must not see stale data.
  Tensor<double> W = random_input({3, 1, 3, 3}, 7), b = random_input({3}, 8);
  Convolution<double> conv(W, b, 1, 1);
  conv.forward(random_input({5, 1, 8, 8}, 9), true);
  Tensor<double> x = random_input({2, 1, 8, 8}, 10);
  const Tensor<double>& out = conv.forward(x, true);
  Tensor<double> expected = naive_conv(x, W, b, 1, 1);
  ASSERT_EQ(out.shape(), expected.shape());
  for (std::size_t i = 0; i < out.size(); ++i) ASSERT_NEAR(out[i], expected[i], 1e-12);
  EXPECT_EQ(conv.backward(expected).shape(), x.shape());
}

TEST(Convolution, ErrorsNameTheLayerAndBothShapes) {
  Convolution<double> conv(Tensor<double>({30, 1, 5, 5}), Tensor<double>({30}));
  try {
    conv.forward(Tensor<double>({100, 784}), true);
    FAIL() << "no throw";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "Convolution: expected input (N, 1, H, W), got (100, 784)");
  }
  try {
    conv.forward(Tensor<double>({2, 3, 28, 28}), true);
    FAIL() << "no throw";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "Convolution: expected input (N, 1, H, W), got (2, 3, 28, 28)");
  }
  try {
    conv.forward(Tensor<double>({2, 1, 4, 4}), true);
    FAIL() << "no throw";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "Convolution: 5x5 window does not fit in the padded input 4x4 (input (2, 1, 4, 4), pad 0)");
  }
  EXPECT_THROW(conv.backward(Tensor<double>({2, 30, 24, 24})), std::logic_error);  // before any forward
  conv.forward(Tensor<double>({2, 1, 28, 28}), true);
  try {
    conv.backward(Tensor<double>({2, 30, 28, 28}));
    FAIL() << "no throw";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "Convolution backward (dout): expected (2, 30, 24, 24), got (2, 30, 28, 28)");
  }
  EXPECT_THROW(Convolution<double>(Tensor<double>({30, 25}), Tensor<double>({30})), ShapeError);
  EXPECT_THROW(Convolution<double>(Tensor<double>({30, 1, 5, 5}), Tensor<double>({10})), ShapeError);
  EXPECT_THROW(Convolution<double>(Tensor<double>({30, 1, 5, 5}), Tensor<double>({30}), 0), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Pooling

TEST(Pooling, BookFigure7_14) {
  // 2x2 max pooling with stride 2 on the book's 4x4 example.
  Tensor<double> x({1, 1, 4, 4}, {1, 2, 1, 0, 0, 1, 2, 3, 3, 0, 1, 2, 2, 4, 0, 1});
  Pooling<double> pool(2, 2, 2);
  const Tensor<double>& out = pool.forward(x, true);
  EXPECT_EQ(out.shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(out.vec(), (std::vector<double>{2, 3, 4, 2}));
  // Each gradient goes to its window's maximum only.
  const Tensor<double>& dx = pool.backward(Tensor<double>({1, 1, 2, 2}, {10, 20, 30, 40}));
  EXPECT_EQ(dx.vec(), (std::vector<double>{0, 10, 0, 0, 0, 0, 0, 20, 0, 0, 0, 40, 0, 30, 0, 0}));
}

TEST(Pooling, ChannelsOverlapTiesAndPadding) {
  // Two samples x two channels of 3x3; 2x2 windows with stride 1 overlap, so the shared
  // maximum 9 of sample 0 channel 0 collects the gradients of all four windows.
  Tensor<double> x({2, 2, 3, 3});
  const std::vector<double> plane = {1, 2, 3, 4, 9, 5, 6, 7, 8};
  for (std::size_t q = 0; q < 4; ++q)
    for (std::size_t i = 0; i < 9; ++i) x[q * 9 + i] = plane[i] * (q == 1 ? -1.0 : 1.0) + (q >= 2 ? 100.0 : 0.0);
  Pooling<double> pool(2, 2, 1);
  const Tensor<double>& out = pool.forward(x, true);
  ASSERT_EQ(out.shape(), (Shape{2, 2, 2, 2}));
  EXPECT_EQ(std::vector<double>(out.begin(), out.begin() + 4), (std::vector<double>{9, 9, 9, 9}));
  // channel 1 is negated: the maxima are the smallest magnitudes, -1 -2 / -4 -5
  EXPECT_EQ(std::vector<double>(out.begin() + 4, out.begin() + 8), (std::vector<double>{-1, -2, -4, -5}));
  EXPECT_EQ(out[8], 109.0);
  const Tensor<double>& dx = pool.backward(Tensor<double>(out.shape(), 1.0));
  EXPECT_EQ(dx[4], 4.0);  // the centre of sample 0 channel 0
  EXPECT_EQ(dx[0], 0.0);

  // Ties: first maximum in window order, as np.argmax.
  Pooling<double> tie(2, 2, 2);
  tie.forward(Tensor<double>({1, 1, 2, 2}, {5, 5, 5, 5}), true);
  EXPECT_EQ(tie.arg_max(), (std::vector<std::uint32_t>{0}));

  // Padding is zeros (as the book's im2col): with all-negative inputs the padded cell wins, and
  // its gradient goes nowhere.
  Pooling<double> padded(2, 2, 2, 1);
  const Tensor<double>& po = padded.forward(Tensor<double>({1, 1, 2, 2}, {-1, -2, -3, -4}), true);
  ASSERT_EQ(po.shape(), (Shape{1, 1, 2, 2}));  // (2 + 2 - 2) / 2 + 1
  EXPECT_EQ(po.vec(), (std::vector<double>{0, 0, 0, 0}));
  EXPECT_EQ(padded.backward(Tensor<double>(po.shape(), 1.0)).vec(), (std::vector<double>{0, 0, 0, 0}));
  const Tensor<double>& po2 = padded.forward(Tensor<double>({1, 1, 2, 2}, {1, 2, 3, 4}), true);
  EXPECT_EQ(po2.vec(), (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(padded.backward(Tensor<double>(po2.shape(), 1.0)).vec(), (std::vector<double>{1, 1, 1, 1}));
}

// The definition, window by window over the zero-padded input: value and flat index of the first
// maximum in row-major window order, as an offset in its plane (kPadding for a padded cell).
TEST(Pooling, ForwardMatchesNaiveMaxPooling) {
  struct Case {
    Shape x;
    std::size_t ph, pw, stride, pad;
  };
  const std::vector<Case> cases = {
      {{2, 3, 24, 24}, 2, 2, 2, 0}, {{2, 2, 7, 9}, 2, 2, 2, 0},  {{2, 2, 7, 5}, 3, 2, 2, 1},
      {{1, 2, 6, 6}, 3, 3, 1, 0},   {{2, 1, 5, 6}, 2, 2, 1, 1},  {{1, 3, 8, 7}, 2, 3, 3, 2},
      {{1, 1, 3, 3}, 2, 2, 2, 1},
  };
  std::uint64_t seed = 90;
  for (const Case& k : cases) {
    Tensor<double> x = random_input(k.x, seed++);
    // Coarse values (multiples of 0.5, many zeros): plenty of ties within a window, and with
    // padding, to test the first-maximum rule.
    for (auto& v : x) v = std::round(v * 2) / 2;
    Pooling<double> pool(k.ph, k.pw, k.stride, k.pad);
    const Tensor<double>& out = pool.forward(x, true);
    const std::size_t N = k.x[0], C = k.x[1], H = k.x[2], W = k.x[3];
    const std::size_t OH = (H + 2 * k.pad - k.ph) / k.stride + 1, OW = (W + 2 * k.pad - k.pw) / k.stride + 1;
    ASSERT_EQ(out.shape(), (Shape{N, C, OH, OW}));
    std::size_t o = 0;
    for (std::size_t n = 0; n < N; ++n)
      for (std::size_t c = 0; c < C; ++c)
        for (std::size_t oy = 0; oy < OH; ++oy)
          for (std::size_t ox = 0; ox < OW; ++ox, ++o) {
            double best = 0;
            std::uint32_t best_i = 0;
            bool first = true;
            for (std::size_t ky = 0; ky < k.ph; ++ky)
              for (std::size_t kx = 0; kx < k.pw; ++kx) {
                const std::size_t y = oy * k.stride + ky, xx = ox * k.stride + kx;
                const bool real = y >= k.pad && xx >= k.pad && y - k.pad < H && xx - k.pad < W;
                const double v = real ? x(n, c, y - k.pad, xx - k.pad) : 0.0;
                if (first || v > best) {
                  best = v;
                  best_i = real ? std::uint32_t((y - k.pad) * W + (xx - k.pad)) : Pooling<double>::kPadding;
                  first = false;
                }
              }
            ASSERT_EQ(out[o], best) << "case " << seed << " output " << o;
            ASSERT_EQ(pool.arg_max()[o], best_i) << "case " << seed << " output " << o;
          }
  }
}

// float takes a vectorised path for 2x2 windows with stride 2 (four windows at a time): it must
// pick the same values and the same first maxima as double's scalar path, including the windows
// left over at the end of a row and padded borders.
TEST(Pooling, FloatTwoByTwoMatchesDouble) {
  const std::vector<std::pair<Shape, std::size_t>> cases = {
      {{2, 3, 24, 24}, 0}, {{1, 2, 9, 13}, 1}, {{1, 1, 7, 11}, 0}, {{2, 2, 10, 19}, 1}, {{1, 1, 4, 4}, 0}};
  std::uint64_t seed = 130;
  for (const auto& [shape, pad] : cases) {
    Tensor<double> x = random_input(shape, seed++);
    for (auto& v : x) v = std::round(v * 2) / 2;  // exact in float, many ties
    Pooling<double> pd(2, 2, 2, pad);
    Pooling<float> pf(2, 2, 2, pad);
    const Tensor<double>& od = pd.forward(x, true);
    const Tensor<float>& of = pf.forward(x.cast<float>(), true);
    ASSERT_EQ(of.shape(), od.shape());
    for (std::size_t i = 0; i < od.size(); ++i) ASSERT_EQ(double(of[i]), od[i]) << shape_str(shape) << " " << i;
    EXPECT_EQ(pf.arg_max(), pd.arg_max()) << shape_str(shape);
    Tensor<double> dout = random_input(od.shape(), seed++);
    const Tensor<float>& dxf = pf.backward(dout.cast<float>());
    const Tensor<double>& dxd = pd.backward(dout);
    for (std::size_t i = 0; i < dxd.size(); ++i) ASSERT_NEAR(double(dxf[i]), dxd[i], 1e-6);
  }
}

// dx scattered by hand from arg_max, after an earlier backward left other values in the buffer.
TEST(Pooling, BackwardRoutesToArgMaxOnly) {
  for (std::size_t pad : {0, 1}) {
    Pooling<double> pool(2, 2, 2, pad);
    // A larger batch first leaves gradients all over the dx buffer.
    const Shape big = pool.forward(random_input({3, 3, 10, 8}, 130 + pad), true).shape();
    pool.backward(random_input(big, 5));
    Tensor<double> x = random_input({2, 3, 9, 7}, 140 + pad);
    const Tensor<double>& out = pool.forward(x, true);
    Tensor<double> dout = random_input(out.shape(), 150 + pad);
    Tensor<double> dx = pool.backward(dout);
    Tensor<double> expected(x.shape());
    const std::size_t OHW = out.dim(2) * out.dim(3);
    for (std::size_t i = 0; i < out.size(); ++i)
      if (pool.arg_max()[i] != Pooling<double>::kPadding) expected[(i / OHW) * 63 + pool.arg_max()[i]] += dout[i];
    EXPECT_EQ(dx, expected) << "pad " << pad;
  }
}

TEST(Pooling, GradientsMatchFiniteDifferences) {
  struct Case {
    Shape x;
    std::size_t ph, pw, stride, pad;
  };
  const std::vector<Case> cases = {
      {{2, 3, 6, 6}, 2, 2, 2, 0},  // the nets' pooling
      {{2, 2, 7, 5}, 2, 2, 2, 0},  // the same with an odd last row and column no window covers
      {{2, 2, 7, 5}, 3, 2, 2, 1},  // stride 2, padding 1, non-square
      {{1, 2, 5, 5}, 3, 3, 1, 0},  // overlapping windows
  };
  std::uint64_t seed = 70;
  for (const Case& k : cases) {
    Pooling<double> pool(k.ph, k.pw, k.stride, k.pad);
    auto r = check_layer(pool, random_input(k.x, seed++));
    EXPECT_TRUE(r.ok) << r.report;
  }
}

// Batches big enough to be split between threads: 1 and 2 threads give the same bytes, and on a
// 15x15 map (7x7 windows) the last row and column, which no window covers, get exactly zero.
TEST(Pooling, SplitBetweenThreadsSameBytesAndZeroUncoveredEdge) {
  const Tensor<double> x = random_input({40, 16, 15, 15}, 90);
  const Tensor<double> dout = random_input({40, 16, 7, 7}, 91);
  const int saved = num_threads();
  Tensor<double> out[2], dx[2];
  for (int t = 0; t < 2; ++t) {
    set_num_threads(t + 1);
    Pooling<double> pool(2, 2, 2);
    out[t] = pool.forward(x, true);
    dx[t] = pool.backward(dout);
  }
  set_num_threads(saved);
  EXPECT_EQ(out[0], out[1]);
  EXPECT_EQ(dx[0], dx[1]);
  double covered = 0;
  for (std::size_t q = 0; q < 40 * 16; ++q)
    for (std::size_t i = 0; i < 15; ++i) {
      EXPECT_EQ(dx[1][q * 225 + 14 * 15 + i], 0.0);  // last row
      EXPECT_EQ(dx[1][q * 225 + i * 15 + 14], 0.0);  // last column
      covered += std::abs(dx[1][q * 225 + i]);
    }
  EXPECT_GT(covered, 0.0);
}

// Relu on a batch split between threads: the same bytes as one thread.
TEST(Relu, SplitBetweenThreadsSameBytes) {
  const Tensor<double> x = random_input({50, 30, 12, 12}, 92), dout = random_input({50, 30, 12, 12}, 93);
  const int saved = num_threads();
  Tensor<double> out[2], dx[2];
  for (int t = 0; t < 2; ++t) {
    set_num_threads(t + 1);
    Relu<double> relu;
    out[t] = relu.forward(x, true);
    dx[t] = relu.backward(dout);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < x.size(); ++i) wrong += dx[t][i] != (x[i] > 0 ? dout[i] : 0.0);
    EXPECT_EQ(wrong, 0u) << t + 1 << " thread(s)";
  }
  set_num_threads(saved);
  EXPECT_EQ(out[0], out[1]);
  EXPECT_EQ(dx[0], dx[1]);
}

TEST(Pooling, Errors) {
  EXPECT_THROW(Pooling<double>(0, 2, 2), std::invalid_argument);
  EXPECT_THROW(Pooling<double>(2, 2, 0), std::invalid_argument);
  Pooling<double> pool(2, 2, 2);
  try {
    pool.forward(Tensor<double>({100, 4320}), true);
    FAIL() << "no throw";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "Pooling: expected input (N, C, H, W), got (100, 4320)");
  }
  EXPECT_THROW(pool.forward(Tensor<double>({1, 1, 1, 5}), true), ShapeError);  // 2x2 window, 1 row
  EXPECT_THROW(pool.backward(Tensor<double>({1, 1, 1, 1})), std::logic_error);
  pool.forward(Tensor<double>({1, 1, 4, 4}), true);
  EXPECT_THROW(pool.backward(Tensor<double>({1, 1, 4, 4})), ShapeError);
}

TEST(Pooling, DefaultStrideIsTheBooks) {
  // common/layers.py: Pooling(pool_h, pool_w, stride=2, pad=0): a 2x2 window halves 4x4 to 2x2.
  Pooling<double> pool(2, 2);
  Tensor<double> x({1, 1, 4, 4});
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = double(i);
  const auto& y = pool.forward(x, false);
  ASSERT_EQ(y.shape(), (std::vector<std::size_t>{1, 1, 2, 2}));
  EXPECT_EQ(y[0], 5.0);
  EXPECT_EQ(y[1], 7.0);
  EXPECT_EQ(y[2], 13.0);
  EXPECT_EQ(y[3], 15.0);
}
