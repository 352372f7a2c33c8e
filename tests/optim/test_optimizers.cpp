// Chapter 6.1: each optimiser, a few steps on a tiny parameter with fixed gradients, against
// values worked out by hand (the arithmetic is in the comments).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "dlfs/optim/optimizers.hpp"

using namespace dlfs;

namespace {

Param<double> make_param(const std::string& name, std::initializer_list<double> v) {
  return Param<double>(name, Tensor<double>::from(v));
}

// One update with the given gradient.
void step(Optimizer<double>& opt, Param<double>& p, std::initializer_list<double> g) {
  p.grad = Tensor<double>::from(g);
  opt.update({&p});
}

}  // namespace

TEST(SGD, StepsAgainstHand) {
  // lr = 0.1, W = (1, -2), g = (0.5, 1) every step: W -= (0.05, 0.1) per step.
  SGD<double> opt(0.1);
  auto W = make_param("W", {1.0, -2.0});
  step(opt, W, {0.5, 1.0});
  EXPECT_NEAR(W.value[0], 0.95, 1e-15);
  EXPECT_NEAR(W.value[1], -2.1, 1e-15);
  step(opt, W, {0.5, 1.0});
  EXPECT_NEAR(W.value[0], 0.90, 1e-15);
  EXPECT_NEAR(W.value[1], -2.2, 1e-15);
  EXPECT_EQ(opt.iterations(), 2u);
  EXPECT_TRUE(opt.state().empty());
}

TEST(Momentum, StepsAgainstHand) {
  // lr = 0.1, momentum = 0.9, W = 1, g = 0.5 every step (lr*g = 0.05):
  //   v1 = -0.05                        W1 = 0.95
  //   v2 = 0.9*(-0.05)  - 0.05 = -0.095  W2 = 0.855
  //   v3 = 0.9*(-0.095) - 0.05 = -0.1355 W3 = 0.7195
  Momentum<double> opt(0.1, 0.9);
  auto W = make_param("W", {1.0});
  step(opt, W, {0.5});
  EXPECT_NEAR(W.value[0], 0.95, 1e-15);
  step(opt, W, {0.5});
  EXPECT_NEAR(W.value[0], 0.855, 1e-15);
  step(opt, W, {0.5});
  EXPECT_NEAR(W.value[0], 0.7195, 1e-15);
  auto st = opt.state();
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].name, "v/W");
  EXPECT_NEAR((*st[0].tensor)[0], -0.1355, 1e-15);
}

TEST(Nesterov, StepsAgainstHand) {
  // The book's common/optimizer.py moves W with the old v, then updates v.
  // lr = 0.1, momentum m = 0.9, W = 1, g = 0.5 every step. m*m = 0.81, (1+m)*lr*g = 0.095.
  //   W1 = 1      + 0.81*0       - 0.095 = 0.905     v1 = -0.05
  //   W2 = 0.905  + 0.81*(-0.05) - 0.095 = 0.7695    v2 = -0.095
  //   W3 = 0.7695 + 0.81*(-0.095)- 0.095 = 0.59755   v3 = -0.1355
  // (Updating v first, as dlfs did before, gives 0.8645, 0.69255, 0.487795.)
  Nesterov<double> opt(0.1, 0.9);
  auto W = make_param("W", {1.0});
  step(opt, W, {0.5});
  EXPECT_NEAR(W.value[0], 0.905, 1e-15);
  EXPECT_NEAR((*opt.state().at(0).tensor)[0], -0.05, 1e-15);
  step(opt, W, {0.5});
  EXPECT_NEAR(W.value[0], 0.7695, 1e-15);
  step(opt, W, {0.5});
  EXPECT_NEAR(W.value[0], 0.59755, 1e-15);
  EXPECT_NEAR((*opt.state().at(0).tensor)[0], -0.1355, 1e-15);
  EXPECT_EQ(opt.state().at(0).name, "v/W");
}

TEST(AdaGrad, StepsAgainstHand) {
  // lr = 0.1, W = (1, 2).
  //   g = (3, 0): h = (9, 0);  W -= 0.1*(3/(3 + 1e-7), 0/(0 + 1e-7)) -> (0.9000000033.., 2)
  //   g = (4, 1): h = (25, 1); W -= 0.1*(4/(5 + 1e-7), 1/(1 + 1e-7))
  // The zero gradient shows why the 1e-7 is there: 0/0 would be NaN.
  AdaGrad<double> opt(0.1);
  auto W = make_param("W", {1.0, 2.0});
  step(opt, W, {3.0, 0.0});
  const double w0 = 1 - 0.1 * 3 / (3 + 1e-7);
  EXPECT_NEAR(W.value[0], w0, 1e-15);
  EXPECT_NEAR(W.value[0], 0.9000000033333, 1e-12);
  EXPECT_EQ(W.value[1], 2.0);
  step(opt, W, {4.0, 1.0});
  EXPECT_NEAR(W.value[0], w0 - 0.1 * 4 / (5 + 1e-7), 1e-15);
  EXPECT_NEAR(W.value[1], 2.0 - 0.1 / (1 + 1e-7), 1e-15);
  auto st = opt.state();
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].name, "h/W");
  EXPECT_EQ((*st[0].tensor)[0], 25.0);
  EXPECT_EQ((*st[0].tensor)[1], 1.0);
}

TEST(RMSprop, StepsAgainstHand) {
  // lr = 0.1, decay_rate = 0.9, W = 1, g = 2 every step (g*g = 4, lr*g = 0.2):
  //   h1 = 0.1*4 = 0.4          W1 = 1  - 0.2/(sqrt(0.4)  + 1e-7) = 0.6837722...
  //   h2 = 0.9*0.4 + 0.4 = 0.76 W2 = W1 - 0.2/(sqrt(0.76) + 1e-7) = 0.4543566...
  RMSprop<double> opt(0.1, 0.9);
  auto W = make_param("W", {1.0});
  step(opt, W, {2.0});
  const double w1 = 1 - 0.2 / (std::sqrt(0.4) + 1e-7);
  EXPECT_NEAR(W.value[0], w1, 1e-15);
  EXPECT_NEAR(W.value[0], 0.6837722, 1e-7);
  step(opt, W, {2.0});
  EXPECT_NEAR(W.value[0], w1 - 0.2 / (std::sqrt(0.76) + 1e-7), 1e-15);
  EXPECT_NEAR(W.value[0], 0.4543566, 1e-7);
  EXPECT_NEAR((*opt.state().at(0).tensor)[0], 0.76, 1e-15);
}

TEST(Adam, StepsAgainstHand) {
  // lr = 0.1, beta1 = 0.9, beta2 = 0.999, W = 1, g = 2 every step.
  //   iter 1: lr_t = 0.1*sqrt(0.001)/0.1 = sqrt(0.001); m = 0.2; v = 0.004 = 4*0.001
  //           step = sqrt(0.001)*0.2/(2*sqrt(0.001) + 1e-7) ~= 0.1    -> W ~= 0.9
  //   iter 2: lr_t = 0.1*sqrt(1 - 0.999^2)/(1 - 0.9^2) = 0.1*sqrt(0.001999)/0.19
  //           m = 0.2 + 0.1*(2 - 0.2) = 0.38; v = 0.004 + 0.001*(4 - 0.004) = 0.007996
  //           step = lr_t*0.38/(sqrt(0.007996) + 1e-7) ~= 0.1           -> W ~= 0.8
  // (With a constant gradient the bias-corrected step is lr each time: that is what the
  // correction is for.)
  Adam<double> opt(0.1, 0.9, 0.999);
  auto W = make_param("W", {1.0});
  step(opt, W, {2.0});
  const double w1 = 1 - std::sqrt(0.001) * 0.2 / (std::sqrt(0.004) + 1e-7);
  EXPECT_NEAR(W.value[0], w1, 1e-14);
  EXPECT_NEAR(W.value[0], 0.9, 1e-5);
  step(opt, W, {2.0});
  const double lr_t = 0.1 * std::sqrt(0.001999) / 0.19;
  EXPECT_NEAR(W.value[0], w1 - lr_t * 0.38 / (std::sqrt(0.007996) + 1e-7), 1e-14);
  EXPECT_NEAR(W.value[0], 0.8, 1e-5);
  EXPECT_EQ(opt.iterations(), 2u);
  auto st = opt.state();
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0].name, "m/W");
  EXPECT_EQ(st[1].name, "v/W");
  EXPECT_NEAR((*st[0].tensor)[0], 0.38, 1e-15);
  EXPECT_NEAR((*st[1].tensor)[0], 0.007996, 1e-15);
}

// The bias-correction counter must advance once per update, not once per parameter (tiny-dnn's
// bug): W updated together with b must follow exactly the path W takes alone.
TEST(Adam, CounterAdvancesOncePerUpdateWithSeveralParams) {
  Adam<double> alone(0.1), both(0.1);
  auto W_alone = make_param("W", {1.0, -1.0});
  auto W = make_param("W", {1.0, -1.0});
  auto b = make_param("b", {0.5});
  for (int i = 0; i < 3; ++i) {
    W_alone.grad = Tensor<double>::from({2.0, -0.5 * i});
    W.grad = W_alone.grad;
    b.grad = Tensor<double>::from({-1.0});
    alone.update({&W_alone});
    both.update({&W, &b});
  }
  EXPECT_EQ(both.iterations(), 3u);
  EXPECT_EQ(W.value[0], W_alone.value[0]);
  EXPECT_EQ(W.value[1], W_alone.value[1]);
  // b: a constant gradient of -1 moves it by ~lr per step (see above): 0.5 + 3*0.1.
  EXPECT_NEAR(b.value[0], 0.8, 1e-5);
  auto st = both.state();
  ASSERT_EQ(st.size(), 4u);
  EXPECT_EQ(st[0].name, "m/W");
  EXPECT_EQ(st[1].name, "m/b");
  EXPECT_EQ(st[2].name, "v/W");
  EXPECT_EQ(st[3].name, "v/b");
}

TEST(Adam, FloatFollowsDouble) {
  Adam<float> f(0.1);
  Adam<double> d(0.1);
  Param<float> pf("W", Tensor<float>::from({1.0f, -3.0f}));
  auto pd = make_param("W", {1.0, -3.0});
  for (int i = 0; i < 5; ++i) {
    pf.grad = Tensor<float>::from({0.3f * i, 1.0f});
    pd.grad = Tensor<double>::from({0.3 * i, 1.0});
    f.update({&pf});
    d.update({&pd});
  }
  EXPECT_NEAR(pf.value[0], pd.value[0], 1e-5);
  EXPECT_NEAR(pf.value[1], pd.value[1], 1e-5);
}

// ---- state: by position, allocated once, checked afterwards, restorable ----

TEST(OptimizerState, EmptyUntilFirstUpdateOrInit) {
  Momentum<double> opt(0.1);
  auto W1 = make_param("W1", {1.0, 2.0});
  auto b1 = make_param("b1", {0.0});
  EXPECT_TRUE(opt.state().empty());
  opt.init_state({&W1, &b1});
  auto st = opt.state();
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0].name, "v/W1");
  EXPECT_EQ(st[1].name, "v/b1");
  EXPECT_EQ(st[0].tensor->shape(), (Shape{2}));
  EXPECT_EQ((*st[0].tensor)[1], 0.0);
}

TEST(OptimizerState, RestoredStateIsUsedByTheNextUpdate) {
  // A checkpoint wrote v = -0.05 and iterations = 1; the next step must continue from there:
  // v = 0.9*(-0.05) - 0.05 = -0.095, W = 0.95 - 0.095 = 0.855 (as in Momentum's second step).
  Momentum<double> opt(0.1, 0.9);
  auto W = make_param("W", {0.95});
  opt.init_state({&W});
  (*opt.state()[0].tensor)[0] = -0.05;
  opt.set_iterations(1);
  step(opt, W, {0.5});
  EXPECT_NEAR(W.value[0], 0.855, 1e-15);
  EXPECT_EQ(opt.iterations(), 2u);
}

TEST(OptimizerState, AdamResumesBitForBit) {
  // Three steps straight, versus two steps, copy m, v and the counter into a fresh Adam, one step.
  Adam<double> a(0.05), first(0.05), resumed(0.05);
  auto Wa = make_param("W", {1.0, 2.0});
  auto Wb = make_param("W", {1.0, 2.0});
  const double gs[3][2] = {{0.5, -1.0}, {0.25, 2.0}, {-0.75, 0.1}};
  for (int i = 0; i < 3; ++i) {
    Wa.grad = Tensor<double>::from({gs[i][0], gs[i][1]});
    a.update({&Wa});
  }
  for (int i = 0; i < 2; ++i) {
    Wb.grad = Tensor<double>::from({gs[i][0], gs[i][1]});
    first.update({&Wb});
  }
  resumed.init_state({&Wb});
  auto from = first.state(), to = resumed.state();
  ASSERT_EQ(from.size(), to.size());
  for (std::size_t k = 0; k < from.size(); ++k) {
    ASSERT_EQ(from[k].name, to[k].name);
    *to[k].tensor = *from[k].tensor;
  }
  resumed.set_iterations(first.iterations());
  Wb.grad = Tensor<double>::from({gs[2][0], gs[2][1]});
  resumed.update({&Wb});
  EXPECT_EQ(Wa.value, Wb.value);
}

TEST(OptimizerState, ShapeChangeAfterFirstUpdateIsAClearError) {
  Adam<double> opt(0.1);
  auto W = make_param("W1", {1.0, 2.0});
  step(opt, W, {1.0, 1.0});
  auto other = make_param("W1", {1.0, 2.0, 3.0});
  other.grad = Tensor<double>({3});
  try {
    opt.update({&other});
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_THAT(e.what(), testing::HasSubstr("Adam"));
    EXPECT_THAT(e.what(), testing::HasSubstr("W1"));
    EXPECT_THAT(e.what(), testing::HasSubstr("(3,)"));
    EXPECT_THAT(e.what(), testing::HasSubstr("(2,)"));
  }
}

TEST(OptimizerState, ParamCountChangeIsAClearError) {
  RMSprop<double> opt(0.1);
  auto W = make_param("W", {1.0});
  auto b = make_param("b", {1.0});
  opt.update({&W});
  EXPECT_THROW(
      {
        try {
          opt.update({&W, &b});
        } catch (const ShapeError& e) {
          EXPECT_THAT(e.what(), testing::HasSubstr("1 parameters"));
          EXPECT_THAT(e.what(), testing::HasSubstr("got 2"));
          throw;
        }
      },
      ShapeError);
}

TEST(OptimizerState, GradientShapeMustMatchValue) {
  for (const char* name : {"sgd", "momentum", "adam"}) {
    auto opt = make_optimizer<double>({.name = name, .lr = 0.1});
    auto W = make_param("W", {1.0, 2.0});
    W.grad = Tensor<double>({3});
    EXPECT_THROW(opt->update({&W}), ShapeError) << name;
    EXPECT_EQ(W.value[0], 1.0) << name;  // nothing was touched
  }
}
