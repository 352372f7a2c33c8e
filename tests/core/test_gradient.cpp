// Numerical differentiation and gradient descent of chapter 4, against the book's printed values.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <stdexcept>

#include "dlfs/functions.hpp"
#include "dlfs/gradient.hpp"
#include "dlfs/rng.hpp"

using namespace dlfs;

namespace {
// function_2 of section 4.3.3: x0^2 + x1^2
double function_2(const Tensor<double>& x) {
  double s = 0;
  for (double v : x) s += v * v;
  return s;
}
}  // namespace

TEST(Gradient, NumericalDiffBookValues) {
  // gradient_1d.py: function_1(x) = 0.01x^2 + 0.1x, whose derivative is 0.02x + 0.1.
  // Written 0.01 * (x * x) to round like the book's 0.01*x**2, so the printed digits match.
  auto function_1 = [](double x) { return 0.01 * (x * x) + 0.1 * x; };
  EXPECT_DOUBLE_EQ(numerical_diff(function_1, 5.0), 0.1999999999990898);
  EXPECT_DOUBLE_EQ(numerical_diff(function_1, 10.0), 0.2999999999986347);
  EXPECT_NEAR(numerical_diff(function_1, 5.0), 0.2, 1e-10);
  EXPECT_NEAR(numerical_diff(function_1, 10.0), 0.3, 1e-10);
}

TEST(Gradient, NumericalGradientBookValues) {
  // Section 4.4: the gradient of x0^2 + x1^2 at three points.
  auto g = [](double a, double b) {
    auto x = Tensor<double>::from({a, b});
    return numerical_gradient(function_2, x);
  };
  auto g1 = g(3, 4), g2 = g(0, 2), g3 = g(3, 0);
  EXPECT_NEAR(g1[0], 6, 1e-7);
  EXPECT_NEAR(g1[1], 8, 1e-7);
  EXPECT_NEAR(g2[0], 0, 1e-7);
  EXPECT_NEAR(g2[1], 4, 1e-7);
  EXPECT_NEAR(g3[0], 6, 1e-7);
  EXPECT_NEAR(g3[1], 0, 1e-7);
}

TEST(Gradient, NumericalGradientAnyShapeAndExactRestore) {
  // f = sum(w_i * x_i^3) on a (2, 3, 2) tensor: gradient 3 w_i x_i^2.
  Rng rng(7);
  Tensor<double> x({2, 3, 2}), w({2, 3, 2});
  for (auto& v : x) v = rng.normal();
  for (auto& v : w) v = rng.uniform(-1, 1);
  const Tensor<double> before = x;
  auto f = [&](const Tensor<double>& z) {
    double s = 0;
    for (std::size_t i = 0; i < z.size(); ++i) s += w[i] * z[i] * z[i] * z[i];
    return s;
  };
  auto grad = numerical_gradient(f, x);
  ASSERT_EQ(grad.shape(), x.shape());
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(grad[i], 3 * w[i] * x[i] * x[i], 1e-7);
  // Bit-for-bit, not approximately: x + h - h would not give this back.
  ASSERT_EQ(std::memcmp(x.data(), before.data(), x.size() * sizeof(double)), 0);
}

TEST(Gradient, NumericalGradientRestoresWhenFThrows) {
  auto x = Tensor<double>::from({0.1, 0.2, 0.3});
  const auto before = x;
  int calls = 0;
  auto f = [&](const Tensor<double>&) -> double {
    if (++calls == 4) throw std::runtime_error("boom");
    return 0.0;
  };
  EXPECT_THROW(numerical_gradient(f, x), std::runtime_error);
  EXPECT_EQ(x, before);
}

TEST(Gradient, NumericalGradientFloat) {
  auto x = Tensor<float>::from({3.0f, 4.0f});
  auto f = [](const Tensor<float>& z) { return z[0] * z[0] + z[1] * z[1]; };
  auto g = numerical_gradient(f, x);
  // h = 1e-4 in float32 is coarse: a few parts in a thousand.
  EXPECT_NEAR(g[0], 6.0f, 0.02f);
  EXPECT_NEAR(g[1], 8.0f, 0.02f);
}

TEST(Gradient, GradientDescentConverges) {
  // gradient_method.py: from (-3, 4), lr 0.1, 100 steps.
  std::vector<Tensor<double>> history;
  auto x = gradient_descent(function_2, Tensor<double>::from({-3.0, 4.0}), 0.1, 100, &history);
  EXPECT_NEAR(x[0], 0, 1e-8);
  EXPECT_NEAR(x[1], 0, 1e-8);
  // The book prints array([-6.11110793e-10, 8.14814391e-10]).
  EXPECT_NEAR(x[0], -6.11110793e-10, 1e-17);
  EXPECT_NEAR(x[1], 8.14814391e-10, 1e-17);
  ASSERT_EQ(history.size(), 100u);
  EXPECT_EQ(history[0], Tensor<double>::from({-3.0, 4.0}));
  // Each step multiplies x by (1 - 2 lr) = 0.8.
  EXPECT_NEAR(history[1][0], -2.4, 1e-9);
  EXPECT_NEAR(history[1][1], 3.2, 1e-9);
}

TEST(Gradient, GradientDescentLearningRateTooLarge) {
  // lr = 10 diverges: the book prints array([-2.58983747e+13, -1.29524862e+12]).
  auto x = gradient_descent(function_2, Tensor<double>::from({-3.0, 4.0}), 10.0, 100);
  EXPECT_NEAR(x[0] / -2.58983747e+13, 1.0, 1e-8);
  EXPECT_NEAR(x[1] / -1.29524862e+12, 1.0, 1e-8);
}

TEST(Gradient, GradientDescentLearningRateTooSmall) {
  // lr = 1e-10 barely moves: array([-2.99999994, 3.99999992]).
  auto x = gradient_descent(function_2, Tensor<double>::from({-3.0, 4.0}), 1e-10, 100);
  EXPECT_NEAR(x[0], -2.99999994, 1e-8);
  EXPECT_NEAR(x[1], 3.99999992, 1e-8);
  EXPECT_NE(x[0], -3.0);
}

TEST(Gradient, GradientDescentDefaultsAreTheBooks) {
  // lr 0.01, 100 steps: x * 0.98^100.
  auto x = gradient_descent(function_2, Tensor<double>::from({-3.0, 4.0}));
  EXPECT_NEAR(x[0], -3.0 * std::pow(0.98, 100), 1e-8);
  EXPECT_NEAR(x[1], 4.0 * std::pow(0.98, 100), 1e-8);
}

TEST(Gradient, SimpleNetBookValues) {
  // gradient_simplenet.py (section 4.4.2) with the weights the book prints.
  auto W = Tensor<double>::from({0.47355232, 0.9977393, 0.84668094, 0.85557411, 0.03563661, 0.69422093});
  W.reshape({2, 3});
  const auto x = Tensor<double>::from({0.6, 0.9});
  const auto t = Tensor<double>::from({0, 0, 1});
  auto loss = [&](const Tensor<double>&) {
    Tensor<double> p({3});
    for (std::size_t j = 0; j < 3; ++j) p[j] = x[0] * W(0, j) + x[1] * W(1, j);  // np.dot(x, W)
    return cross_entropy_error(softmax(p), t);
  };
  // The book prints 0.92806853663411326 and dW = [[0.21924763, 0.14356247, -0.36281009],
  // [0.32887144, 0.21534371, -0.54421514]]: those match log(y) without the 1e-7 delta, which
  // shifts the loss by about 1e-7 / 0.395 = 2.5e-7 and dW by a similar relative amount.
  EXPECT_NEAR(loss(W), 0.92806853663411326, 3e-7);
  auto dW = numerical_gradient(loss, W);
  const double book[] = {0.21924763, 0.14356247, -0.36281009, 0.32887144, 0.21534371, -0.54421514};
  for (std::size_t i = 0; i < 6; ++i) EXPECT_NEAR(dW[i], book[i], 2e-7) << i;
  EXPECT_EQ(dW.shape(), (Shape{2, 3}));
}
