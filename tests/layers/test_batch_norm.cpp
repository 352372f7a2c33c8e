// Chapter 6.3: BatchNormalization. Forward worked by hand in both modes, running statistics after
// one and two steps, and finite-difference checks of backward (2-D and 4-D input) in double.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "dlfs/layers/batch_norm.hpp"
#include "layers/layer_check.hpp"

using namespace dlfs;
using testing::HasSubstr;

namespace {

// Features 0 and 1 are ordinary; feature 2 has variance 1e-6, about the size of the book's
// epsilon, so it tells 10e-7 (= 1e-6, the book's value) from 1e-7.
Tensor<double> x1() { return Tensor<double>::matrix({{1, 10, 0}, {3, 20, 0.002}}); }

BatchNormalization<double> layer_with_gamma_beta() {
  BatchNormalization<double> bn(3);
  bn.gamma().value = Tensor<double>::from({2, 0.5, 1});
  bn.beta().value = Tensor<double>::from({1, -1, 0});
  return bn;
}

}  // namespace

TEST(BatchNormalization, StartsAsTheBookInitialisesIt) {
  BatchNormalization<float> bn(4);
  auto params = bn.params();
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0]->name, "gamma");
  EXPECT_EQ(params[1]->name, "beta");
  EXPECT_EQ(params[0]->value, Tensor<float>({4}, 1.0f));
  EXPECT_EQ(params[1]->value, Tensor<float>({4}, 0.0f));
  auto bufs = bn.buffers();
  ASSERT_EQ(bufs.size(), 2u);
  EXPECT_EQ(bufs[0].name, "running_mean");
  EXPECT_EQ(bufs[1].name, "running_var");
  EXPECT_EQ(*bufs[0].tensor, Tensor<float>({4}, 0.0f));
  EXPECT_EQ(*bufs[1].tensor, Tensor<float>({4}, 0.0f));
  EXPECT_EQ(bn.momentum(), 0.9);
  EXPECT_EQ(bn.type(), "BatchNormalization");
}

TEST(BatchNormalization, TrainForwardByHand) {
  // x = [[1, 10, 0], [3, 20, 0.002]]
  // mu  = (2, 15, 0.001);  xc = [[-1, -5, -0.001], [1, 5, 0.001]];  var = (1, 25, 1e-6)
  // std = sqrt(var + 1e-6) = (1.0000005, 5.0000001, sqrt(2e-6) = 0.0014142136)
  // xn  = xc / std = [[-0.9999995, -0.99999998, -0.70710678], [+, +, +]]
  // out = gamma * xn + beta with gamma = (2, 0.5, 1), beta = (1, -1, 0)
  //     = [[-0.999999, -1.49999999, -0.70710678], [2.999999, -0.50000001, 0.70710678]]
  // (with eps 1e-7 the third column would be +-0.9534626.)
  auto bn = layer_with_gamma_beta();
  const auto& y = bn.forward(x1(), true);
  ASSERT_EQ(y.shape(), (Shape{2, 3}));
  const double s0 = std::sqrt(1 + 1e-6), s1 = std::sqrt(25 + 1e-6), s2 = std::sqrt(2e-6);
  const double want[6] = {2 * (-1 / s0) + 1, 0.5 * (-5 / s1) - 1, -0.001 / s2,
                          2 * (1 / s0) + 1,  0.5 * (5 / s1) - 1,  0.001 / s2};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(y[i], want[i], 1e-12) << i;
  EXPECT_NEAR(y[0], -0.999999, 1e-9);
  EXPECT_NEAR(y[2], -0.70710678, 1e-8);
}

TEST(BatchNormalization, RunningStatisticsAfterOneAndTwoSteps) {
  // momentum 0.9: running = 0.9 * running + 0.1 * batch, starting from zeros.
  //   step 1 (x1): mu = (2, 15, 0.001), var = (1, 25, 1e-6)
  //     running_mean = (0.2, 1.5, 0.0001)          running_var = (0.1, 2.5, 1e-7)
  //   step 2 (x2 = [[2, 0, 0], [4, 10, 0]]): mu = (3, 5, 0), var = (1, 25, 0)
  //     running_mean = (0.18 + 0.3, 1.35 + 0.5, 0.00009) = (0.48, 1.85, 0.00009)
  //     running_var  = (0.09 + 0.1, 2.25 + 2.5, 9e-8)    = (0.19, 4.75, 9e-8)
  // The variance is the biased one (divided by N), as np.mean in the book.
  auto bn = layer_with_gamma_beta();
  bn.forward(x1(), true);
  const double rm1[3] = {0.2, 1.5, 0.0001}, rv1[3] = {0.1, 2.5, 1e-7};
  for (int j = 0; j < 3; ++j) {
    EXPECT_NEAR(bn.running_mean()[j], rm1[j], 1e-14) << j;
    EXPECT_NEAR(bn.running_var()[j], rv1[j], 1e-14) << j;
  }
  bn.forward(Tensor<double>::matrix({{2, 0, 0}, {4, 10, 0}}), true);
  const double rm2[3] = {0.48, 1.85, 0.00009}, rv2[3] = {0.19, 4.75, 9e-8};
  for (int j = 0; j < 3; ++j) {
    EXPECT_NEAR(bn.running_mean()[j], rm2[j], 1e-14) << j;
    EXPECT_NEAR(bn.running_var()[j], rv2[j], 1e-14) << j;
  }
  // Inference leaves them alone.
  bn.forward(x1(), false);
  EXPECT_NEAR(bn.running_mean()[0], 0.48, 1e-14);
  EXPECT_NEAR(bn.running_var()[1], 4.75, 1e-14);
}

TEST(BatchNormalization, TestForwardUsesRunningStatistics) {
  // After the two steps above: out = gamma * (x - running_mean) / sqrt(running_var + 1e-6) + beta
  //   x = (1, 2, 0): xn = (0.52 / sqrt(0.190001), 0.15 / sqrt(4.750001), -0.00009 / sqrt(1.09e-6))
  //                     = (1.19295868, 0.06882471, -0.08620437)
  //   out = (2 * 1.19295868 + 1, 0.5 * 0.06882471 - 1, -0.08620437) = (3.38591735, -0.96558764, -0.08620437)
  auto bn = layer_with_gamma_beta();
  bn.forward(x1(), true);
  bn.forward(Tensor<double>::matrix({{2, 0, 0}, {4, 10, 0}}), true);
  const auto& y = bn.forward(Tensor<double>::matrix({{1, 2, 0}}), false);
  ASSERT_EQ(y.shape(), (Shape{1, 3}));
  EXPECT_NEAR(y[0], 2 * 0.52 / std::sqrt(0.190001) + 1, 1e-12);
  EXPECT_NEAR(y[1], 0.5 * 0.15 / std::sqrt(4.750001) - 1, 1e-12);
  EXPECT_NEAR(y[2], -0.00009 / std::sqrt(1.09e-6), 1e-12);
  EXPECT_NEAR(y[0], 3.38591735, 1e-8);
  EXPECT_NEAR(y[1], -0.96558764, 1e-8);
  EXPECT_NEAR(y[2], -0.08620437, 1e-8);
}

TEST(BatchNormalization, FreshLayerInTestModeDividesBySqrtOfEpsilon) {
  // running_mean = 0, running_var = 0: out = x / sqrt(10e-7) = 1000 x. (sqrt(1e-7) would give
  // 3162.28 x: this pins the book's 10e-7 = 1e-6.)
  BatchNormalization<double> bn(3);
  const auto& y = bn.forward(Tensor<double>::matrix({{0.001, -0.002, 0.5}}), false);
  EXPECT_NEAR(y[0], 1.0, 1e-12);
  EXPECT_NEAR(y[1], -2.0, 1e-12);
  EXPECT_NEAR(y[2], 500.0, 1e-9);
}

TEST(BatchNormalization, FourDInputIsNormalisedPerPixelAsTheBookReshapes) {
  // (N, C, H, W) = (2, 3, 1, 1) is (2, 3) for the book's x.reshape(N, -1): the same numbers come
  // out, in the input's shape; running statistics have C*H*W entries.
  auto a = layer_with_gamma_beta();
  auto b = layer_with_gamma_beta();
  const Tensor<double> y2 = a.forward(x1(), true);
  const Tensor<double> y4 = b.forward(x1().reshaped({2, 3, 1, 1}), true);
  ASSERT_EQ(y4.shape(), (Shape{2, 3, 1, 1}));
  EXPECT_EQ(y4.vec(), y2.vec());
  EXPECT_EQ(b.running_mean(), a.running_mean());
  // Each (c, h, w) position is its own feature: (N, C, H, W) = (2, 1, 2, 2) with features 4.
  BatchNormalization<double> bn(4);
  auto x = Tensor<double>({2, 1, 2, 2}, std::vector<double>{0, 1, 2, 3, 2, 5, 8, 11});
  const auto& y = bn.forward(x, true);
  // Feature k sees the values (k, 2 + 3k): mean 1 + 2k, xc = -+(1 + k), var = (1 + k)^2,
  // so xn = -+(1 + k) / sqrt((1 + k)^2 + 1e-6).
  for (int k = 0; k < 4; ++k) {
    const double c = 1 + k;
    EXPECT_NEAR(y[k], -c / std::sqrt(c * c + 1e-6), 1e-12) << k;
    EXPECT_NEAR(y[4 + k], c / std::sqrt(c * c + 1e-6), 1e-12) << k;
  }
}

TEST(BatchNormalization, BackwardGradientsOfBetaAndGammaByHand) {
  // dbeta = dout.sum(axis=0); dgamma = sum(xn * dout, axis=0). With xn = -+(a, b, c) per row
  // (a = 0.9999995, b = 0.99999998, c = 0.70710678) and dout = [[1, 2, 3], [4, 5, 6]]:
  //   dbeta = (5, 7, 9); dgamma = (3a, 3b, 3c). dx sums to 0 over the batch (dx = dxc - mean dxc).
  auto bn = layer_with_gamma_beta();
  bn.forward(x1(), true);
  const auto& dx = bn.backward(Tensor<double>::matrix({{1, 2, 3}, {4, 5, 6}}));
  ASSERT_EQ(dx.shape(), (Shape{2, 3}));
  EXPECT_EQ(bn.beta().grad, Tensor<double>::from({5, 7, 9}));
  EXPECT_NEAR(bn.gamma().grad[0], 3 / std::sqrt(1 + 1e-6), 1e-12);
  EXPECT_NEAR(bn.gamma().grad[1], 15 / std::sqrt(25 + 1e-6), 1e-12);
  EXPECT_NEAR(bn.gamma().grad[2], 3 * 0.001 / std::sqrt(2e-6), 1e-12);
  for (int j = 0; j < 3; ++j) EXPECT_NEAR(dx(0, j) + dx(1, j), 0.0, 1e-9) << j;
}

namespace {

BatchNormalization<double> random_bn(std::size_t features, std::uint64_t seed) {
  BatchNormalization<double> bn(features);
  // gamma and beta away from their 1/0 start, so their gradients are exercised in general position.
  bn.gamma().value = check::random_input({features}, seed, 0.5);
  bn.beta().value = check::random_input({features}, seed + 1);
  return bn;
}

}  // namespace

TEST(BatchNormalization, GradientCheck2D) {
  auto bn = random_bn(5, 11);
  auto r = check::check_layer(bn, check::random_input({4, 5}, 3));
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(BatchNormalization, GradientCheck4D) {
  // (N, C, H, W) = (3, 2, 2, 3): 12 features, 3 samples each.
  auto bn = random_bn(12, 21);
  auto r = check::check_layer(bn, check::random_input({3, 2, 2, 3}, 4));
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(BatchNormalization, GradientCheckInferenceMode) {
  // With the statistics fixed, out is affine in x; backward after an inference forward must
  // differentiate that function.
  auto bn = random_bn(4, 31);
  bn.forward(check::random_input({6, 4}, 5), true);  // non-trivial running statistics
  check::LayerCheckOptions o;
  o.train = false;
  auto r = check::check_layer(bn, check::random_input({3, 4}, 6), o);
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(BatchNormalization, FloatAgreesWithDouble) {
  BatchNormalization<float> f(3);
  auto d = layer_with_gamma_beta();
  f.gamma().value = Tensor<float>::from({2, 0.5f, 1});
  f.beta().value = Tensor<float>::from({1, -1, 0});
  const auto x = Tensor<double>::matrix({{1, 10, 0.5}, {3, 20, -0.5}, {2, 12, 0}});
  const auto& yf = f.forward(x.cast<float>(), true);
  const auto& yd = d.forward(x, true);
  for (std::size_t i = 0; i < yd.size(); ++i) EXPECT_NEAR(yf[i], yd[i], 1e-5) << i;
  const auto dout = Tensor<double>::matrix({{1, -2, 3}, {0.5, 0, -1}, {2, 1, 1}});
  const auto& dxf = f.backward(dout.cast<float>());
  const auto& dxd = d.backward(dout);
  for (std::size_t i = 0; i < dxd.size(); ++i) EXPECT_NEAR(dxf[i], dxd[i], 1e-4) << i;
}

TEST(BatchNormalization, NoDxForTheFirstLayer) {
  auto bn = layer_with_gamma_beta();
  bn.set_need_dx(false);
  bn.forward(x1(), true);
  EXPECT_TRUE(bn.backward(Tensor<double>::matrix({{1, 2, 3}, {4, 5, 6}})).empty());
  EXPECT_EQ(bn.beta().grad, Tensor<double>::from({5, 7, 9}));  // parameter gradients still filled
}

TEST(BatchNormalization, ShapeErrorsNameTheLayerAndBothShapes) {
  BatchNormalization<double> bn(4);
  auto expect_shape_error = [&](const Tensor<double>& x, const char* got) {
    try {
      bn.forward(x, true);
      ADD_FAILURE() << "accepted " << shape_str(x.shape());
    } catch (const ShapeError& e) {
      EXPECT_THAT(e.what(), HasSubstr("BatchNormalization"));
      EXPECT_THAT(e.what(), HasSubstr("(N, 4)"));
      EXPECT_THAT(e.what(), HasSubstr(got));
    }
  };
  expect_shape_error(Tensor<double>({2, 3}), "got (2, 3)");
  expect_shape_error(Tensor<double>({2, 3, 1, 1}), "got (2, 3, 1, 1)");
  expect_shape_error(Tensor<double>({4}), "got (4,)");
  expect_shape_error(Tensor<double>({0, 4}), "got (0, 4)");
  expect_shape_error(Tensor<double>({2, 2, 2}), "got (2, 2, 2)");

  bn.forward(Tensor<double>({2, 4}), true);
  try {
    bn.backward(Tensor<double>({3, 4}));
    ADD_FAILURE() << "backward accepted a dout of the wrong shape";
  } catch (const ShapeError& e) {
    EXPECT_THAT(e.what(), HasSubstr("BatchNormalization"));
    EXPECT_THAT(e.what(), HasSubstr("(2, 4)"));
    EXPECT_THAT(e.what(), HasSubstr("(3, 4)"));
  }
}

TEST(BatchNormalization, BadConstructionAndMisuse) {
  EXPECT_THROW(BatchNormalization<double>(0), std::invalid_argument);
  try {
    BatchNormalization<double>(3, 1.5);
    ADD_FAILURE() << "accepted momentum 1.5";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("BatchNormalization: momentum must be in [0, 1], got 1.5"));
    EXPECT_THAT(e.what(), testing::Not(HasSubstr("1.50")));
  }
  EXPECT_THROW(BatchNormalization<double>(3, std::nan("")), std::invalid_argument);
  BatchNormalization<double> bn(3);
  EXPECT_THROW(bn.backward(Tensor<double>({1, 3})), std::runtime_error);
}
