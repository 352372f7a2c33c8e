// The chapter-4 TwoLayerNet: parameters as the book, hand-checked loss, and its analytic gradient
// against central differences (gradient_check.py), including a broken backward pass that the
// check must catch.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "dlfs/functions.hpp"
#include "dlfs/gradient.hpp"
#include "dlfs/nets/registry.hpp"
#include "dlfs/nets/two_layer_net_ch4.hpp"
#include "dlfs/rng.hpp"

using namespace dlfs;

namespace {

struct Batch {
  Tensor<double> x, t_idx, t_hot;
};

// n samples of `inputs` pixel-like values in [0, 1) with random labels.
Batch random_batch(std::size_t n, std::size_t inputs, std::size_t classes, std::uint64_t seed) {
  Rng rng(seed);
  Batch b{Tensor<double>({n, inputs}), Tensor<double>({n}), Tensor<double>({n, classes})};
  for (auto& v : b.x) v = rng.uniform();
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t k = rng.randint(classes);
    b.t_idx[i] = double(k);
    b.t_hot(i, k) = 1;
  }
  return b;
}

// mean |analytic - numerical| per parameter, in params() order. The numerical gradient is the
// book's (h = 1e-4, each element perturbed and restored) through dlfs::numerical_gradient, so this
// check does not depend on Net::numerical_gradient.
std::vector<double> gradient_diffs(TwoLayerNetCh4<double>& net, const Tensor<double>& x, const Tensor<double>& t,
                                   double* max_abs_grad = nullptr) {
  std::vector<Tensor<double>> numerical;
  for (Param<double>* p : net.params())
    numerical.push_back(numerical_gradient([&](const Tensor<double>&) { return net.loss(x, t); }, p->value));
  net.gradient(x, t);
  std::vector<double> diffs;
  if (max_abs_grad) *max_abs_grad = 0;
  auto ps = net.params();
  for (std::size_t k = 0; k < ps.size(); ++k) {
    double s = 0;
    for (std::size_t i = 0; i < numerical[k].size(); ++i) {
      s += std::abs(ps[k]->grad[i] - numerical[k][i]);
      if (max_abs_grad) *max_abs_grad = std::max(*max_abs_grad, std::abs(numerical[k][i]));
    }
    diffs.push_back(s / double(numerical[k].size()));
  }
  return diffs;
}

}  // namespace

TEST(TwoLayerNetCh4, ParamsHaveTheBooksNamesAndShapes) {
  TwoLayerNetCh4<float> net(784, 100, 10);  // the book's example in section 4.5.1
  auto ps = net.params();
  ASSERT_EQ(ps.size(), 4u);
  EXPECT_EQ(ps[0]->name, "W1");
  EXPECT_EQ(ps[1]->name, "b1");
  EXPECT_EQ(ps[2]->name, "W2");
  EXPECT_EQ(ps[3]->name, "b2");
  EXPECT_EQ(ps[0]->value.shape(), (Shape{784, 100}));
  EXPECT_EQ(ps[1]->value.shape(), (Shape{100}));
  EXPECT_EQ(ps[2]->value.shape(), (Shape{100, 10}));
  EXPECT_EQ(ps[3]->value.shape(), (Shape{10}));
  for (auto* p : ps) EXPECT_EQ(p->grad.shape(), p->value.shape());
  for (float v : ps[1]->value) EXPECT_EQ(v, 0.0f);
  for (float v : ps[3]->value) EXPECT_EQ(v, 0.0f);
  // W1 = 0.01 * randn: 78,400 draws pin the sample standard deviation to well within 2%.
  double ss = 0;
  for (float v : ps[0]->value) ss += double(v) * v;
  EXPECT_NEAR(std::sqrt(ss / double(ps[0]->value.size())), 0.01, 0.0002);
}

TEST(TwoLayerNetCh4, SeedDecidesTheWeights) {
  TwoLayerNetCh4<double> a(5, 4, 3, 0.01, 42), b(5, 4, 3, 0.01, 42), c(5, 4, 3, 0.01, 43);
  EXPECT_EQ(a.params()[0]->value, b.params()[0]->value);
  EXPECT_EQ(a.params()[2]->value, b.params()[2]->value);
  EXPECT_FALSE(a.params()[0]->value == c.params()[0]->value);
}

TEST(TwoLayerNetCh4, NameAndConfig) {
  TwoLayerNetCh4<float> net(784, 50, 10, 0.05);
  EXPECT_EQ(net.name(), "two-layer-sigmoid");
  nlohmann::json expected = {{"net", "two-layer-sigmoid"},
                             {"input_size", 784},
                             {"hidden_size", 50},
                             {"output_size", 10},
                             {"weight_init_std", 0.05}};
  EXPECT_EQ(net.config(), expected);
}

TEST(TwoLayerNetCh4, RejectsBadConstructorArguments) {
  EXPECT_THROW(TwoLayerNetCh4<float>(0, 50, 10), std::invalid_argument);
  EXPECT_THROW(TwoLayerNetCh4<float>(784, 50, 10, -0.01), std::invalid_argument);
  EXPECT_THROW(TwoLayerNetCh4<float>(784, 50, 10, std::nan("")), std::invalid_argument);
}

TEST(TwoLayerNetCh4, LossWithZeroWeightsIsLogOfClassCount) {
  // All weights 0: z1 = 0.5, a2 = 0, y = 1/C for every class, loss = -log(1/C + 1e-7).
  TwoLayerNetCh4<double> net(6, 4, 5);
  for (auto* p : net.params()) p->value.fill(0);
  auto b = random_batch(3, 6, 5, 1);
  EXPECT_NEAR(net.loss(b.x, b.t_idx), -std::log(0.2 + 1e-7), 1e-12);
  EXPECT_NEAR(net.loss(b.x, b.t_hot), -std::log(0.2 + 1e-7), 1e-12);
  // b2 = log([1, 2, 3, 4, 5]) makes y proportional to 1..5 for every input.
  for (std::size_t k = 0; k < 5; ++k) net.params()[3]->value[k] = std::log(double(k + 1));
  const double loss = net.loss(b.x, b.t_idx);
  double expected = 0;
  for (std::size_t i = 0; i < 3; ++i) expected -= std::log((b.t_idx[i] + 1) / 15.0 + 1e-7);
  EXPECT_NEAR(loss, expected / 3, 1e-12);
}

TEST(TwoLayerNetCh4, PredictGivesScoresAndProbabilitiesAreTheirSoftmax) {
  TwoLayerNetCh4<double> net(20, 10, 3, 0.5, 3);
  auto b = random_batch(4, 20, 3, 2);
  const Tensor<double> scores = net.predict(b.x);
  ASSERT_EQ(scores.shape(), (Shape{4, 3}));
  net.loss(b.x, b.t_idx);
  auto expected = softmax(scores);
  ASSERT_EQ(net.probabilities().shape(), (Shape{4, 3}));
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(net.probabilities()[i], expected[i], 1e-15);
  // The loss is cross_entropy_error of those probabilities.
  EXPECT_DOUBLE_EQ(net.loss(b.x, b.t_hot), cross_entropy_error(expected, b.t_hot));
}

TEST(TwoLayerNetCh4, AnalyticGradientMatchesNumerical) {
  // gradient_check.py's comparison on a small batch, in double, with labels both ways.
  TwoLayerNetCh4<double> net(20, 10, 3, 0.01, 5);
  auto b = random_batch(3, 20, 3, 6);
  for (const Tensor<double>* t : {&b.t_idx, &b.t_hot}) {
    double max_grad = 0;
    auto d = gradient_diffs(net, b.x, *t, &max_grad);
    std::printf("mean |diff| W1 %.3g b1 %.3g W2 %.3g b2 %.3g (max |grad| %.3g)\n", d[0], d[1], d[2], d[3], max_grad);
    EXPECT_LT(d[0], 1e-8) << "W1";
    EXPECT_LT(d[1], 1e-8) << "b1";
    EXPECT_LT(d[2], 1e-6) << "W2";
    EXPECT_LT(d[3], 1e-6) << "b2";
    // Not a comparison of zero with zero.
    EXPECT_GT(max_grad, 0.05);
  }
  // Both label forms give the same gradient (up to rounding: (y - 1)/N against y/N - 1/N).
  net.gradient(b.x, b.t_idx);
  const Tensor<double> g_idx = net.params()[0]->grad;
  net.gradient(b.x, b.t_hot);
  for (std::size_t i = 0; i < g_idx.size(); ++i) EXPECT_NEAR(g_idx[i], net.params()[0]->grad[i], 1e-16);
}

TEST(TwoLayerNetCh4, GradientCheckCatchesABrokenBackwardPass) {
  TwoLayerNetCh4<double> net(20, 10, 3, 0.01, 5);
  auto b = random_batch(3, 20, 3, 6);
  net.inject_fault_for_test(true);  // dz1 = da1, without sigmoid_grad(a1)
  auto d = gradient_diffs(net, b.x, b.t_idx);
  // Dropping a factor near 0.25 makes the layer-1 gradients about 4 times too large.
  EXPECT_GT(d[0], 1e-5) << "W1";
  EXPECT_GT(d[1], 1e-5) << "b1";
  EXPECT_LT(d[2], 1e-6) << "W2 does not depend on the fault";
  net.inject_fault_for_test(false);
  d = gradient_diffs(net, b.x, b.t_idx);
  EXPECT_LT(d[0], 1e-8);
}

TEST(TwoLayerNetCh4, FloatGradientAgreesWithDouble) {
  TwoLayerNetCh4<double> nd(20, 10, 3, 0.1, 8);
  TwoLayerNetCh4<float> nf(20, 10, 3, 0.1, 8);
  auto b = random_batch(5, 20, 3, 9);
  const double ld = nd.gradient(b.x, b.t_idx);
  const float lf = nf.gradient(b.x.cast<float>(), b.t_idx.cast<float>());
  EXPECT_NEAR(lf, ld, 1e-5);
  for (std::size_t k = 0; k < 4; ++k)
    for (std::size_t i = 0; i < nd.params()[k]->grad.size(); ++i)
      EXPECT_NEAR(nf.params()[k]->grad[i], nd.params()[k]->grad[i], 1e-5) << nd.params()[k]->name << " " << i;
}

TEST(TwoLayerNetCh4, GradientStepLowersTheLoss) {
  TwoLayerNetCh4<double> net(20, 10, 3, 0.1, 10);
  auto b = random_batch(8, 20, 3, 11);
  const double before = net.gradient(b.x, b.t_idx);
  for (auto* p : net.params())
    for (std::size_t i = 0; i < p->value.size(); ++i) p->value[i] -= 0.1 * p->grad[i];
  EXPECT_LT(net.loss(b.x, b.t_idx), before);
}

TEST(TwoLayerNetCh4, ShapeErrorsNameTheNetAndBothShapes) {
  TwoLayerNetCh4<double> net(20, 10, 3);
  try {
    net.predict(Tensor<double>({3, 21}));
    FAIL() << "no throw";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "two-layer-sigmoid predict: expected x of shape (N, 20), got (3, 21)");
  }
  try {
    net.loss(Tensor<double>({4, 20}), Tensor<double>({3}));
    FAIL() << "no throw";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(),
                 "two-layer-sigmoid loss: expected t one-hot (4, 3) or class indices (4,) for y (4, 3), got (3,)");
  }
  EXPECT_THROW(net.gradient(Tensor<double>({20}), Tensor<double>({1})), ShapeError);
  EXPECT_THROW(net.gradient(Tensor<double>({2, 20}), Tensor<double>({2, 4})), ShapeError);
  EXPECT_THROW(net.gradient(Tensor<double>({2, 20}), Tensor<double>::from({0.0, 3.0})), std::invalid_argument);
}

TEST(TwoLayerNetCh4, NetNumericalGradientAgreesWithBackprop) {
  // The same check through the Net interface (what gradcheck and the trainer use).
  TwoLayerNetCh4<double> net(20, 10, 3, 0.01, 12);
  auto b = random_batch(3, 20, 3, 13);
  const double loss_num = net.numerical_gradient(b.x, b.t_hot);
  std::vector<Tensor<double>> numerical;
  for (auto* p : net.params()) numerical.push_back(p->grad);
  const double loss_bp = net.gradient(b.x, b.t_hot);
  EXPECT_DOUBLE_EQ(loss_num, loss_bp);
  const double limits[] = {1e-8, 1e-8, 1e-6, 1e-6};
  for (std::size_t k = 0; k < 4; ++k) {
    double s = 0;
    for (std::size_t i = 0; i < numerical[k].size(); ++i) s += std::abs(net.params()[k]->grad[i] - numerical[k][i]);
    EXPECT_LT(s / double(numerical[k].size()), limits[k]) << net.params()[k]->name;
  }
}

TEST(TwoLayerNetCh4, AccuracyIsArgmaxOfTheScores) {
  // W = 0 and b2 = (0, 5, 0): every sample is predicted as class 1, whatever x is.
  TwoLayerNetCh4<double> net(4, 3, 3);
  for (auto* p : net.params()) p->value.fill(0);
  net.param("b2").value[1] = 5;
  auto b = random_batch(4, 4, 3, 14);
  const auto t = Tensor<double>::from({1.0, 0.0, 1.0, 2.0});
  EXPECT_DOUBLE_EQ(net.accuracy(b.x, t), 0.5);
}

TEST(TwoLayerNetCh4, RegistryBuildsItFromItsConfig) {
  TwoLayerNetCh4<float> net(30, 7, 4, 0.02, 99);
  auto copy = make_net<float>(net.config(), 99);
  EXPECT_EQ(copy->name(), "two-layer-sigmoid");
  EXPECT_EQ(copy->config(), net.config());
  EXPECT_EQ(copy->param("W1").value, net.param("W1").value);
  EXPECT_EQ(copy->param("W2").value, net.param("W2").value);
}
