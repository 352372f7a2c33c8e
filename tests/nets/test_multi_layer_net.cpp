// Chapter 6's MultiLayerNet / MultiLayerNetExtend: layer order and names, per-layer init scale,
// weight decay in loss and gradient, and gradient checks with relu, sigmoid, batch norm, dropout.
#include <gtest/gtest.h>

#include <cmath>

#include "dlfs/layers/dropout.hpp"
#include "dlfs/layers/fault.hpp"
#include "dlfs/nets/multi_layer_net.hpp"
#include "nets/net_check.hpp"

using namespace dlfs;

namespace {

MultiLayerNetOptions small(double lambda = 0) {
  MultiLayerNetOptions o;
  o.input_size = 20;
  o.hidden_size_list = {10, 10};
  o.output_size = 3;
  o.weight_decay_lambda = lambda;
  return o;
}

std::vector<std::string> layer_names(const LayerNet<double>& net) {
  std::vector<std::string> v;
  for (std::size_t i = 0; i < net.layers().size(); ++i) v.push_back(net.layer_name(i));
  return v;
}

std::vector<std::string> param_names(Net<double>& net) {
  std::vector<std::string> v;
  for (auto* p : net.params()) v.push_back(p->name);
  return v;
}

void expect_gradients_ok(MultiLayerNet<double>& net, std::uint64_t seed) {
  auto b = check::random_batch(3, net.options().input_size, net.options().output_size, seed);
  for (const auto& d : check::gradient_diffs(net, b.x, b.t))
    EXPECT_TRUE(check::grad_ok(d)) << d.name << ": mean |diff| " << d.mean_abs_diff << ", max |grad| "
                                   << d.max_abs_grad;
}

}  // namespace

TEST(MultiLayerNet, LayersAndParamsAreNamedAsTheBook) {
  MultiLayerNet<double> net(small());
  EXPECT_EQ(net.name(), "multi-layer");
  EXPECT_EQ(layer_names(net), (std::vector<std::string>{"Affine1", "Relu1", "Affine2", "Relu2", "Affine3"}));
  EXPECT_EQ(param_names(net), (std::vector<std::string>{"W1", "b1", "W2", "b2", "W3", "b3"}));
  EXPECT_EQ(net.param("W1").value.shape(), (Shape{20, 10}));
  EXPECT_EQ(net.param("W3").value.shape(), (Shape{10, 3}));
  EXPECT_FALSE(net.layers()[0]->need_dx());
  EXPECT_TRUE(net.buffers().empty());
}

TEST(MultiLayerNet, ExtendAddsBatchNormAndDropoutInTheBooksOrder) {
  auto o = small();
  o.activation = "sigmoid";
  o.use_batchnorm = true;
  o.use_dropout = true;
  MultiLayerNetExtend<double> net(o);
  EXPECT_EQ(net.name(), "multi-layer-extend");
  EXPECT_EQ(layer_names(net),
            (std::vector<std::string>{"Affine1", "BatchNormalization1", "Sigmoid1", "Dropout1", "Affine2",
                                      "BatchNormalization2", "Sigmoid2", "Dropout2", "Affine3"}));
  EXPECT_EQ(param_names(net), (std::vector<std::string>{"W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2",
                                                        "W3", "b3"}));
  std::vector<std::string> bufs;
  for (auto& b : net.buffers()) bufs.push_back(b.name);
  EXPECT_EQ(bufs, (std::vector<std::string>{"running_mean1", "running_var1", "running_mean2", "running_var2"}));
  EXPECT_EQ(net.param("gamma2").value, Tensor<double>({10}, 1.0));
}

// Each W_i is scaled for its own fan-in (all_size_list[idx - 1]): sqrt(2/100), then sqrt(2/400).
TEST(MultiLayerNet, HeInitUsesEachLayersFanIn) {
  MultiLayerNetOptions o;
  o.input_size = 100;
  o.hidden_size_list = {400};
  o.output_size = 10;
  o.weight_init_std = "he";
  MultiLayerNet<double> net(o, 3);
  auto sample_std = [](const Tensor<double>& w) {
    double s = 0;
    for (double v : w) s += v * v;
    return std::sqrt(s / double(w.size()));
  };
  EXPECT_NEAR(sample_std(net.param("W1").value), std::sqrt(2.0 / 100), 0.02 * std::sqrt(2.0 / 100));
  EXPECT_NEAR(sample_std(net.param("W2").value), std::sqrt(2.0 / 400), 0.05 * std::sqrt(2.0 / 400));
  // and the draw is exactly scale * N(0,1), W1 first
  Rng rng(3);
  EXPECT_DOUBLE_EQ(net.param("W1").value[0], std::sqrt(0.02) * rng.normal());
}

TEST(MultiLayerNet, FixedStdAndXavier) {
  auto o = small();
  o.weight_init_std = "0";
  MultiLayerNet<double> zero(o);
  for (double w : zero.param("W2").value) EXPECT_EQ(w, 0.0);
  o.weight_init_std = "xavier";
  MultiLayerNet<double> a(o, 9), b(o, 9);
  EXPECT_EQ(a.param("W2").value, b.param("W2").value);  // same seed, same net
  Rng rng(9);
  EXPECT_DOUBLE_EQ(a.param("W1").value[0], std::sqrt(1.0 / 20) * rng.normal());
}

// loss adds 0.5 * lambda * sum over every W_i of W^2 (biases not penalised).
TEST(MultiLayerNet, WeightDecayPenaltyInLoss) {
  MultiLayerNet<double> plain(small(0), 4), decayed(small(0.1), 4);
  auto b = check::random_batch(3, 20, 3, 5);
  for (auto* p : decayed.params())
    if (p->name[0] == 'b') p->value.fill(0.5);  // would change the penalty if biases counted
  for (auto* p : plain.params())
    if (p->name[0] == 'b') p->value.fill(0.5);
  double sum_w2 = 0;
  for (const char* w : {"W1", "W2", "W3"})
    for (double v : plain.param(w).value) sum_w2 += v * v;
  EXPECT_NEAR(decayed.loss(b.x, b.t), plain.loss(b.x, b.t) + 0.5 * 0.1 * sum_w2, 1e-12);
  // and gradient adds lambda * W to each W's gradient, nothing to b
  plain.gradient(b.x, b.t);
  decayed.gradient(b.x, b.t);
  for (const char* w : {"W1", "W3"})
    for (std::size_t i = 0; i < plain.param(w).grad.size(); ++i)
      EXPECT_NEAR(decayed.param(w).grad[i], plain.param(w).grad[i] + 0.1 * plain.param(w).value[i], 1e-12);
  EXPECT_EQ(decayed.param("b2").grad, plain.param("b2").grad);
}

TEST(MultiLayerNet, GradientCheckReluWithWeightDecay) {
  MultiLayerNet<double> net(small(0.1), 7);
  expect_gradients_ok(net, 8);
}

TEST(MultiLayerNet, GradientCheckSigmoidWithWeightDecay) {
  auto o = small(0.1);
  o.activation = "sigmoid";
  o.weight_init_std = "sigmoid";
  MultiLayerNet<double> net(o, 7);
  expect_gradients_ok(net, 8);
}

// The book's ch06 gradient_check uses MultiLayerNetExtend with use_batchnorm=True.
TEST(MultiLayerNet, GradientCheckBatchNorm) {
  auto o = small(0.1);
  o.use_batchnorm = true;
  MultiLayerNet<double> net(o, 7);
  auto b = check::random_batch(3, 20, 3, 8);
  auto diffs = check::gradient_diffs(net, b.x, b.t);
  for (const auto& d : diffs) EXPECT_TRUE(check::grad_ok(d)) << d.name << " " << d.mean_abs_diff;
  // gamma and beta really are checked (non-zero gradients), and b1 before batch norm has none.
  EXPECT_GT(diffs[2].max_abs_grad, 1e-3) << diffs[2].name;
  EXPECT_GT(diffs[3].max_abs_grad, 1e-3) << diffs[3].name;
  EXPECT_LT(net.param("b1").grad.vec()[0], 1e-12);
}

// Dropout draws a mask per training forward; frozen, both gradients see the same function.
TEST(MultiLayerNet, GradientCheckDropoutWithFrozenMasks) {
  auto o = small();
  o.use_dropout = true;
  o.dropout_ration = 0.3;
  MultiLayerNet<double> net(o, 7);
  auto b = check::random_batch(3, 20, 3, 8);
  net.loss(b.x, b.t, true);  // draws the masks
  for (auto& l : net.layers())
    if (auto* d = dynamic_cast<Dropout<double>*>(l.get())) d->freeze_mask(true);
  for (const auto& d : check::gradient_diffs(net, b.x, b.t)) EXPECT_TRUE(check::grad_ok(d)) << d.name;
}

TEST(MultiLayerNet, BrokenSigmoidBackwardIsCaught) {
  auto o = small();
  o.activation = "sigmoid";
  MultiLayerNet<double> net(o, 7);
  auto b = check::random_batch(3, 20, 3, 8);
  set_injected_fault(Fault::SigmoidGrad);
  auto diffs = check::gradient_diffs(net, b.x, b.t);
  set_injected_fault(Fault::None);
  EXPECT_FALSE(check::grad_ok(diffs[0])) << "W1";
  EXPECT_FALSE(check::grad_ok(diffs[2])) << "W2";
  EXPECT_TRUE(check::grad_ok(diffs[4])) << "W3 is above every sigmoid";
}

TEST(MultiLayerNet, ShapeErrorNamesTheLayer) {
  MultiLayerNet<float> net(MultiLayerNetOptions{});
  try {
    net.predict(Tensor<float>({100, 785}));
    FAIL() << "no throw";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "Affine1: expected input (N, 784), got (100, 785)");
  }
}

TEST(MultiLayerNet, BadOptionsAreNamed) {
  auto o = small();
  o.activation = "tanh";
  try {
    MultiLayerNet<float> net(o);
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "multi-layer: activation must be relu or sigmoid, got 'tanh'");
  }
  o = small();
  o.hidden_size_list = {10, 0};
  EXPECT_THROW(MultiLayerNet<float>{o}, std::invalid_argument);
  o = small();
  o.weight_init_std = "glorot";
  EXPECT_THROW(MultiLayerNet<float>{o}, std::invalid_argument);
  o = small();
  o.use_dropout = true;
  o.dropout_ration = 1.0;
  EXPECT_THROW(MultiLayerNet<float>{o}, std::invalid_argument);
  o = small();
  o.weight_decay_lambda = -1;
  EXPECT_THROW(MultiLayerNet<float>{o}, std::invalid_argument);
}

// With no hidden layer it is softmax regression: Affine1 then the loss.
TEST(MultiLayerNet, NoHiddenLayers) {
  auto o = small();
  o.hidden_size_list = {};
  MultiLayerNet<double> net(o, 1);
  EXPECT_EQ(layer_names(net), (std::vector<std::string>{"Affine1"}));
  expect_gradients_ok(net, 2);
}

TEST(MultiLayerNet, ConfigHasEveryConstructorArgument) {
  auto o = small(0.1);
  o.weight_init_std = "0.05";
  o.use_batchnorm = true;
  MultiLayerNet<float> net(o);
  auto c = net.config();
  EXPECT_EQ(c["net"], "multi-layer-extend");
  EXPECT_EQ(c["input_size"], 20);
  EXPECT_EQ(c["hidden_size_list"], nlohmann::json({10, 10}));
  EXPECT_EQ(c["output_size"], 3);
  EXPECT_EQ(c["activation"], "relu");
  EXPECT_EQ(c["weight_init_std"], 0.05);  // a number goes out as a number
  EXPECT_EQ(c["weight_decay_lambda"], 0.1);
  EXPECT_EQ(c["use_batchnorm"], true);
  EXPECT_EQ(c["use_dropout"], false);
  EXPECT_EQ(c["dropout_ration"], 0.5);
  o.weight_init_std = "He";
  EXPECT_EQ(MultiLayerNet<float>(o).config()["weight_init_std"], "He");
}
