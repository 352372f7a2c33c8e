// Chapter 5's layered TwoLayerNet (and the Net/LayerNet machinery it runs on): parameters named
// as the book, backprop against the book's numerical gradient, a broken backward caught, shape
// errors naming the layer, accuracy by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "dlfs/layers/fault.hpp"
#include "dlfs/nets/two_layer_net.hpp"
#include "nets/net_check.hpp"

using namespace dlfs;

namespace {
struct FaultGuard {
  explicit FaultGuard(Fault f) { set_injected_fault(f); }
  ~FaultGuard() { set_injected_fault(Fault::None); }
};
}  // namespace

TEST(TwoLayerNet, ParamsAndLayersAreNamedAsTheBook) {
  TwoLayerNet<float> net(784, 50, 10);
  auto ps = net.params();
  ASSERT_EQ(ps.size(), 4u);
  EXPECT_EQ(ps[0]->name, "W1");
  EXPECT_EQ(ps[1]->name, "b1");
  EXPECT_EQ(ps[2]->name, "W2");
  EXPECT_EQ(ps[3]->name, "b2");
  EXPECT_EQ(net.param("W1").value.shape(), (Shape{784, 50}));
  EXPECT_EQ(net.param("b1").value.shape(), (Shape{50}));
  EXPECT_EQ(net.param("W2").value.shape(), (Shape{50, 10}));
  EXPECT_EQ(net.param("b2").value.shape(), (Shape{10}));
  ASSERT_EQ(net.layers().size(), 3u);
  EXPECT_EQ(net.layer_name(0), "Affine1");
  EXPECT_EQ(net.layer_name(1), "Relu1");
  EXPECT_EQ(net.layer_name(2), "Affine2");
  EXPECT_EQ(net.last_layer().type(), "SoftmaxWithLoss");
  EXPECT_FALSE(net.layers()[0]->need_dx());
  EXPECT_EQ(net.name(), "two-layer");
}

TEST(TwoLayerNet, WeightsAreStdTimesNormalFromTheSeedAndBiasesZero) {
  TwoLayerNet<double> net(3, 2, 2, 0.5, 42);
  Rng rng(42);
  for (double w : net.param("W1").value) EXPECT_DOUBLE_EQ(w, 0.5 * rng.normal());
  for (double w : net.param("W2").value) EXPECT_DOUBLE_EQ(w, 0.5 * rng.normal());
  for (double b : net.param("b1").value) EXPECT_EQ(b, 0.0);
  TwoLayerNet<double> other(3, 2, 2, 0.5, 43);
  EXPECT_NE(other.param("W1").value, net.param("W1").value);
}

TEST(TwoLayerNet, ParamNotFoundListsTheNames) {
  TwoLayerNet<float> net(4, 3, 2);
  try {
    net.param("W3");
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "net two-layer has no parameter 'W3'; it has: W1, b1, W2, b2");
  }
}

// The net reads its parameters where param() points: no hidden copies.
TEST(TwoLayerNet, ParamsAreShared) {
  TwoLayerNet<double> net(4, 3, 2, 0.1, 1);
  auto x = check::random_batch(2, 4, 2, 5).x;
  Tensor<double> before = net.predict(x);
  net.param("b2").value[1] += 1.0;
  Tensor<double> after = net.predict(x);
  EXPECT_DOUBLE_EQ(after(0, 0), before(0, 0));
  EXPECT_DOUBLE_EQ(after(0, 1), before(0, 1) + 1.0);
  net.param("W1").value.fill(0);  // hidden layer dead: scores are exactly b2
  const auto& y = net.predict(x);
  EXPECT_DOUBLE_EQ(y(1, 0), 0.0);
  EXPECT_DOUBLE_EQ(y(1, 1), 1.0);
}

// With hand-set weights predict is relu(x): accuracy counts argmax hits, first index on ties.
TEST(TwoLayerNet, AccuracyByHand) {
  TwoLayerNet<double> net(2, 2, 2);
  net.param("W1").value = Tensor<double>::matrix({{1, 0}, {0, 1}});
  net.param("W2").value = Tensor<double>::matrix({{1, 0}, {0, 1}});
  auto x = Tensor<double>::matrix({{1, 0}, {0, 1}, {2, 1}, {-1, -2}});  // argmax 0, 1, 0, 0 (tie)
  auto t = Tensor<double>::from({0, 1, 1, 0});
  EXPECT_DOUBLE_EQ(net.accuracy(x, t), 0.75);
  EXPECT_DOUBLE_EQ(net.accuracy(x, t, 3), 0.75);  // chunks of 3 + 1
  EXPECT_DOUBLE_EQ(net.accuracy(x, t, 1), 0.75);
  auto onehot = Tensor<double>::matrix({{1, 0}, {0, 1}, {0, 1}, {1, 0}});
  EXPECT_DOUBLE_EQ(net.accuracy(x, onehot, 3), 0.75);
  EXPECT_THROW(net.accuracy(x, Tensor<double>::from({0, 1})), ShapeError);
}

// loss = mean cross-entropy of softmax(predict): with zero weights every class is equally likely.
TEST(TwoLayerNet, LossOfUniformScoresIsLogClasses) {
  TwoLayerNet<double> net(4, 3, 5, 0.0);
  auto b = check::random_batch(3, 4, 5, 2);
  EXPECT_NEAR(net.loss(b.x, b.t), -std::log(0.2 + 1e-7), 1e-12);
}

TEST(TwoLayerNet, ShapeErrorNamesTheLayer) {
  TwoLayerNet<float> net(784, 50, 10);
  try {
    net.predict(Tensor<float>({100, 785}));
    FAIL() << "no throw";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "Affine1: expected input (N, 784), got (100, 785)");
  }
  EXPECT_THROW(net.loss(Tensor<float>({2, 784}), Tensor<float>::from({1, 2, 3})), ShapeError);
}

// gradient_check.py with the book's weight_init_std 0.01: mean |backprop - numerical| per
// parameter (measured: W1 5e-10, b1 5e-10, W2 2e-9, b2 7e-8, the last set by the 1e-7 in the log).
TEST(TwoLayerNet, GradientMatchesNumericalGradient) {
  TwoLayerNet<double> net(20, 10, 3, 0.01, 7);
  auto b = check::random_batch(3, 20, 3, 8);
  auto diffs = check::gradient_diffs(net, b.x, b.t);
  ASSERT_EQ(diffs.size(), 4u);
  for (const auto& d : diffs) {
    EXPECT_TRUE(check::grad_ok(d)) << d.name << " " << d.mean_abs_diff << " (max |grad| " << d.max_abs_grad << ")";
    EXPECT_GT(d.max_abs_grad, 1e-3) << d.name << ": a check of near-zero gradients proves nothing";
  }
  EXPECT_LT(diffs[0].mean_abs_diff, 5e-9);  // W1
  EXPECT_LT(diffs[1].mean_abs_diff, 5e-9);  // b1
  EXPECT_LT(diffs[2].mean_abs_diff, 5e-9);  // W2
  EXPECT_LT(diffs[3].mean_abs_diff, 2e-7);  // b2
}

// Larger weights (std 0.3): still agrees to ~1e-7 of the gradient's size.
TEST(TwoLayerNet, GradientMatchesNumericalGradientLargerWeights) {
  TwoLayerNet<double> net(20, 10, 3, 0.3, 7);
  auto b = check::random_batch(3, 20, 3, 8);
  for (const auto& d : check::gradient_diffs(net, b.x, b.t))
    EXPECT_TRUE(check::grad_ok(d)) << d.name << " " << d.mean_abs_diff << " (max |grad| " << d.max_abs_grad << ")";
}

// The remaining gap is the book's 1e-7 inside the log and nothing else: for b2 the exact derivative
// of -1/N sum log(y_t + eps) is 1/N sum_n (y_t / (y_t + eps)) (y_n - t_n), and the numerical
// gradient matches THAT to ~1e-10 (central differences with h = 1e-4), while backprop's (y - t) / N is off by ~1e-7.
TEST(TwoLayerNet, RemainingGapIsTheEpsilonInsideTheLog) {
  TwoLayerNet<double> net(20, 10, 3, 0.01, 7);
  auto b = check::random_batch(3, 20, 3, 8);
  net.numerical_gradient(b.x, b.t);
  Tensor<double> numerical = net.param("b2").grad;
  net.gradient(b.x, b.t);
  const Tensor<double>& y = net.last_layer().output();  // (3, 3)
  double gap_exact = 0, gap_backprop = 0;
  for (std::size_t j = 0; j < 3; ++j) {
    double exact = 0;
    for (std::size_t n = 0; n < 3; ++n) {
      const auto k = static_cast<std::size_t>(b.t[n]);
      exact += y(n, k) / (y(n, k) + 1e-7) * (y(n, j) - (j == k ? 1.0 : 0.0)) / 3;
    }
    gap_exact = std::max(gap_exact, std::abs(numerical[j] - exact));
    gap_backprop = std::max(gap_backprop, std::abs(numerical[j] - net.param("b2").grad[j]));
  }
  EXPECT_LT(gap_exact, 1e-9);  // h = 1e-4 truncation and round-off
  EXPECT_LT(gap_exact * 50, gap_backprop) << gap_exact << " " << gap_backprop;
  EXPECT_GT(gap_backprop, 1e-8);
}

TEST(TwoLayerNet, NumericalGradientRestoresParamsExactly) {
  TwoLayerNet<double> net(5, 4, 3, 0.3, 7);
  auto b = check::random_batch(2, 5, 3, 8);
  std::vector<Tensor<double>> before;
  for (auto* p : net.params()) before.push_back(p->value);
  double l = net.numerical_gradient(b.x, b.t);
  EXPECT_DOUBLE_EQ(l, net.loss(b.x, b.t));
  for (std::size_t k = 0; k < before.size(); ++k) EXPECT_EQ(net.params()[k]->value, before[k]);
}

// A backward with the ReLU mask forgotten must stand out by orders of magnitude.
TEST(TwoLayerNet, BrokenBackwardIsCaught) {
  TwoLayerNet<double> net(20, 10, 3, 0.3, 7);
  auto b = check::random_batch(3, 20, 3, 8);
  FaultGuard g(Fault::ReluMask);
  auto diffs = check::gradient_diffs(net, b.x, b.t);
  EXPECT_FALSE(check::grad_ok(diffs[0])) << "W1";
  EXPECT_FALSE(check::grad_ok(diffs[1])) << "b1";
  EXPECT_GT(diffs[0].mean_abs_diff, 1e-3 * diffs[0].max_abs_grad);
  EXPECT_TRUE(check::grad_ok(diffs[2])) << "W2 is above the fault";
}
