#include <gtest/gtest.h>

#include <cmath>

#include "dlfs/layers/relu.hpp"
#include "dlfs/layers/sigmoid.hpp"
#include "layers/layer_check.hpp"

using namespace dlfs;

// The book's example in 5.5.1 (the mask of x <= 0), carried through backward.
TEST(Relu, ForwardAndBackwardOfTheBookExample) {
  Relu<double> relu;
  auto x = Tensor<double>::matrix({{1.0, -0.5}, {-2.0, 3.0}});
  const auto& y = relu.forward(x, true);
  EXPECT_EQ(y, Tensor<double>::matrix({{1, 0}, {0, 3}}));
  const auto& dx = relu.backward(Tensor<double>::matrix({{-0.1, 3.0}, {1.3, -1.8}}));
  EXPECT_EQ(dx, Tensor<double>::matrix({{-0.1, 0}, {0, -1.8}}));
}

TEST(Relu, ZeroIsMaskedLikeTheBook) {
  Relu<float> relu;
  auto x = Tensor<float>::from({0.0f, 2.0f});
  relu.forward(x, false);
  const auto& dx = relu.backward(Tensor<float>::from({5.0f, 7.0f}));
  EXPECT_EQ(dx[0], 0.0f);  // mask is x <= 0
  EXPECT_EQ(dx[1], 7.0f);
}

TEST(Relu, BackwardRejectsAWrongShape) {
  Relu<double> relu;
  relu.forward(Tensor<double>({2, 3}), true);
  EXPECT_THROW(relu.backward(Tensor<double>({3, 2})), ShapeError);
}

TEST(Sigmoid, HandComputedValues) {
  Sigmoid<double> s;
  // sigmoid(0) = 1/2, sigmoid(ln 3) = 3/4, sigmoid(-ln 3) = 1/4
  auto x = Tensor<double>::from({0.0, std::log(3.0), -std::log(3.0)});
  const auto& y = s.forward(x, true);
  EXPECT_NEAR(y[0], 0.5, 1e-15);
  EXPECT_NEAR(y[1], 0.75, 1e-15);
  EXPECT_NEAR(y[2], 0.25, 1e-15);
  // dx = dout * y * (1 - y)
  const auto& dx = s.backward(Tensor<double>::from({1.0, 2.0, -4.0}));
  EXPECT_NEAR(dx[0], 0.25, 1e-15);
  EXPECT_NEAR(dx[1], 2.0 * 0.75 * 0.25, 1e-15);
  EXPECT_NEAR(dx[2], -4.0 * 0.25 * 0.75, 1e-15);
}

TEST(Sigmoid, SaturatesWithoutNaN) {
  Sigmoid<float> s;
  const auto& y = s.forward(Tensor<float>::from({-1000.0f, 1000.0f}), true);
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[1], 1.0f);
  const auto& dx = s.backward(Tensor<float>::from({1.0f, 1.0f}));
  EXPECT_EQ(dx[0], 0.0f);
  EXPECT_EQ(dx[1], 0.0f);
}

TEST(LayerCheck, ReluPasses) {
  Relu<double> relu;
  auto r = check::check_layer(relu, check::random_input({4, 5}, 1));
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(LayerCheck, ReluPassesOn4D) {
  Relu<double> relu;
  auto r = check::check_layer(relu, check::random_input({2, 3, 2, 2}, 2));
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(LayerCheck, SigmoidPasses) {
  Sigmoid<double> s;
  auto r = check::check_layer(s, check::random_input({4, 5}, 3));
  EXPECT_TRUE(r.ok) << r.report;
}
