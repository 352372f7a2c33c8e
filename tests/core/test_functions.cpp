// The activation functions, softmax and losses of chapters 3 and 4, against the book's numbers.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "dlfs/functions.hpp"

using namespace dlfs;

namespace {
// The book's example of section 4.2.1: ten outputs, correct answer "2".
Tensor<double> t_two() { return Tensor<double>::from({0, 0, 1, 0, 0, 0, 0, 0, 0, 0}); }
Tensor<double> y_right() { return Tensor<double>::from({0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0}); }
Tensor<double> y_wrong() { return Tensor<double>::from({0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0}); }
}  // namespace

TEST(Functions, StepFunction) {
  auto y = step_function(Tensor<double>::from({-1.0, 0.0, 1.0, 2.0}));
  EXPECT_EQ(y, Tensor<double>::from({0, 0, 1, 1}));  // 0 maps to 0: the book's x > 0
}

TEST(Functions, SigmoidValues) {
  // Section 3.2.4: sigmoid(np.array([-1.0, 1.0, 2.0])) = [0.26894142, 0.73105858, 0.88079708]
  auto y = sigmoid(Tensor<double>::from({-1.0, 1.0, 2.0, 0.0}));
  EXPECT_NEAR(y[0], 0.26894142, 1e-8);
  EXPECT_NEAR(y[1], 0.73105858, 1e-8);
  EXPECT_NEAR(y[2], 0.88079708, 1e-8);
  EXPECT_DOUBLE_EQ(y[3], 0.5);
}

TEST(Functions, SigmoidSaturatesWithoutOverflow) {
  auto yd = sigmoid(Tensor<double>::from({-1000.0, 1000.0}));
  EXPECT_EQ(yd[0], 0.0);
  EXPECT_EQ(yd[1], 1.0);
  auto yf = sigmoid(Tensor<float>::from({-200.0f, 200.0f, 1.0f}));
  EXPECT_EQ(yf[0], 0.0f);
  EXPECT_EQ(yf[1], 1.0f);
  EXPECT_NEAR(yf[2], 0.73105858f, 1e-6f);
}

TEST(Functions, SigmoidGradIsSOneMinusS) {
  auto g = sigmoid_grad(Tensor<double>::from({0.0, 2.0}));
  EXPECT_DOUBLE_EQ(g[0], 0.25);
  EXPECT_NEAR(g[1], 0.88079708 * (1 - 0.88079708), 1e-8);
}

TEST(Functions, ReluAndGrad) {
  EXPECT_EQ(relu(Tensor<double>::from({-2.0, 0.0, 3.5})), Tensor<double>::from({0.0, 0.0, 3.5}));
  EXPECT_EQ(relu_grad(Tensor<double>::from({-2.0, 0.0, 3.5})), Tensor<double>::from({0.0, 1.0, 1.0}));
}

TEST(Functions, IdentityAndTanh) {
  auto x = Tensor<float>::matrix({{-1.5f, 2.0f}});
  EXPECT_EQ(identity_function(x), x);
  auto y = tanh_fn(Tensor<double>::from({0.0, 1.0, -1.0}));
  EXPECT_EQ(y[0], 0.0);
  EXPECT_NEAR(y[1], 0.76159416, 1e-8);
  EXPECT_NEAR(y[2], -0.76159416, 1e-8);
}

TEST(Functions, SoftmaxBookValues) {
  // Section 3.5.1: softmax(np.array([0.3, 2.9, 4.0]))
  auto y = softmax(Tensor<double>::from({0.3, 2.9, 4.0}));
  EXPECT_NEAR(y[0], 0.01821127, 1e-8);
  EXPECT_NEAR(y[1], 0.24519181, 1e-8);
  EXPECT_NEAR(y[2], 0.73659691, 1e-8);
  EXPECT_NEAR(y[0] + y[1] + y[2], 1.0, 1e-15);
}

TEST(Functions, SoftmaxDoesNotOverflow) {
  // Section 3.5.2: the naive formula gives [nan, nan, nan] for [1010, 1000, 990].
  auto big = softmax(Tensor<double>::from({1010.0, 1000.0, 990.0}));
  auto small = softmax(Tensor<double>::from({20.0, 10.0, 0.0}));
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(std::isfinite(big[i]));
    EXPECT_NEAR(big[i], small[i], 1e-15);
  }
  EXPECT_NEAR(big[0], 9.99954600e-01, 1e-9);
  auto bigf = softmax(Tensor<float>::from({1010.0f, 1000.0f, 990.0f}));
  EXPECT_NEAR(bigf[0], 0.9999546f, 1e-6f);
}

TEST(Functions, SoftmaxIsRowWiseOnABatch) {
  auto x = Tensor<double>::matrix({{0.3, 2.9, 4.0}, {1010.0, 1000.0, 990.0}});
  auto y = softmax(x);
  ASSERT_EQ(y.shape(), (Shape{2, 3}));
  EXPECT_NEAR(y(0, 0), 0.01821127, 1e-8);
  EXPECT_NEAR(y(0, 2), 0.73659691, 1e-8);
  EXPECT_NEAR(y(1, 0), 9.99954600e-01, 1e-9);
  EXPECT_NEAR(y(1, 0) + y(1, 1) + y(1, 2), 1.0, 1e-15);
}

TEST(Functions, SoftmaxRejectsOtherRanks) {
  EXPECT_THROW(softmax(Tensor<double>({2, 2, 2})), ShapeError);
}

TEST(Functions, SumSquaresErrorBookValues) {
  // Section 4.2.1
  EXPECT_NEAR(sum_squares_error(y_right(), t_two()), 0.0975, 1e-12);
  EXPECT_NEAR(sum_squares_error(y_wrong(), t_two()), 0.5975, 1e-12);
  EXPECT_THROW(sum_squares_error(y_right(), Tensor<double>({9})), ShapeError);
}

TEST(Functions, CrossEntropyErrorBookValues) {
  // Section 4.2.2
  EXPECT_NEAR(cross_entropy_error(y_right(), t_two()), 0.510825457, 1e-9);
  EXPECT_NEAR(cross_entropy_error(y_wrong(), t_two()), 2.302584092, 1e-9);
  // float too
  EXPECT_NEAR(cross_entropy_error(y_right().cast<float>(), t_two().cast<float>()), 0.510825457f, 1e-6f);
}

TEST(Functions, CrossEntropyWithIndicesEqualsOneHot) {
  // A single sample with its label as an index.
  EXPECT_DOUBLE_EQ(cross_entropy_error(y_right(), Tensor<double>::from({2.0})),
                   cross_entropy_error(y_right(), t_two()));
  // A batch of the two samples: the mean of the two values, either way.
  const auto a = y_right(), b = y_wrong();
  Tensor<double> y({2, 10});
  std::copy(a.begin(), a.end(), y.begin());
  std::copy(b.begin(), b.end(), y.begin() + 10);
  Tensor<double> t_hot({2, 10});
  t_hot(0, 2) = 1;
  t_hot(1, 2) = 1;
  const double expected = (0.510825457 + 2.302584092) / 2;
  EXPECT_NEAR(cross_entropy_error(y, t_hot), expected, 1e-9);
  EXPECT_NEAR(cross_entropy_error(y, Tensor<double>::from({2.0, 2.0})), expected, 1e-9);
  // Labels 2 and 7: both samples right, so the mean of -log(0.6 + 1e-7).
  EXPECT_NEAR(cross_entropy_error(y, Tensor<double>::from({2.0, 7.0})), 0.510825457, 1e-9);
}

TEST(Functions, CrossEntropyDeltaKeepsLogFinite) {
  // y = 0 at the answer: -log(1e-7), as the book's delta.
  EXPECT_NEAR(cross_entropy_error(y_right(), Tensor<double>::from({3.0})), -std::log(1e-7), 1e-9);
}

TEST(Functions, CrossEntropyRejectsBadLabels) {
  try {
    cross_entropy_error(y_right(), Tensor<double>::from({10.0}));
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("[0, 10)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(cross_entropy_error(y_right(), Tensor<double>::from({-1.0})), std::invalid_argument);
  EXPECT_THROW(cross_entropy_error(y_right(), Tensor<double>::from({2.5})), std::invalid_argument);
  EXPECT_THROW(cross_entropy_error(y_right(), Tensor<double>::from({std::nan("")})), std::invalid_argument);
}

TEST(Functions, CrossEntropyRejectsBadShapes) {
  try {
    cross_entropy_error(Tensor<double>({4, 10}), Tensor<double>({3}));
    FAIL() << "no throw";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(),
                 "cross_entropy_error: expected t one-hot (4, 10) or class indices (4,) for y (4, 10), got (3,)");
  }
  EXPECT_THROW(cross_entropy_error(Tensor<double>({4, 10}), Tensor<double>({4, 9})), ShapeError);
  EXPECT_THROW(cross_entropy_error(Tensor<double>({0, 10}), Tensor<double>({0})), std::invalid_argument);
}
