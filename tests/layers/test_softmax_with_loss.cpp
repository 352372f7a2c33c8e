#include <gtest/gtest.h>

#include <cmath>

#include "dlfs/layers/softmax_with_loss.hpp"
#include "layers/layer_check.hpp"

using namespace dlfs;

namespace {
// Row 0: exp = (1, 2, 1) -> softmax (0.25, 0.5, 0.25). Row 1: exp = (3, 1, 1) -> (0.6, 0.2, 0.2).
Tensor<double> scores() { return Tensor<double>::matrix({{0, std::log(2.0), 0}, {std::log(3.0), 0, 0}}); }
// -(log 0.5 + log 0.2) / 2, with the book's 1e-7 inside the logs.
const double kLoss = -(std::log(0.5 + 1e-7) + std::log(0.2 + 1e-7)) / 2;
// (y - t) / N with t = (1, 2)
const Tensor<double> kDx = Tensor<double>::matrix({{0.125, -0.25, 0.125}, {0.3, 0.1, -0.4}});

void expect_near(const Tensor<double>& got, const Tensor<double>& want, double tol = 1e-12) {
  ASSERT_EQ(got.shape(), want.shape());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}
}  // namespace

TEST(SoftmaxWithLoss, IndexLabelsHandComputed) {
  SoftmaxWithLoss<double> l;
  double loss = l.forward(scores(), Tensor<double>::from({1, 2}));
  EXPECT_NEAR(loss, 1.1512925, 1e-6);  // (0.693147 + 1.609438) / 2
  EXPECT_NEAR(loss, kLoss, 1e-12);
  expect_near(l.output(), Tensor<double>::matrix({{0.25, 0.5, 0.25}, {0.6, 0.2, 0.2}}));
  expect_near(l.backward(), kDx);
}

TEST(SoftmaxWithLoss, OneHotLabelsGiveTheSameLossAndDx) {
  SoftmaxWithLoss<double> l;
  double loss = l.forward(scores(), Tensor<double>::matrix({{0, 1, 0}, {0, 0, 1}}));
  EXPECT_NEAR(loss, kLoss, 1e-12);
  expect_near(l.backward(), kDx);
}

TEST(SoftmaxWithLoss, HugeScoresDoNotOverflow) {
  SoftmaxWithLoss<float> l;
  // exp(1000) overflows float, but softmax is shift-invariant: y = (1, e, 1) / (2 + e).
  auto x = Tensor<float>::matrix({{1000.0f, 1001.0f, 1000.0f}});
  float loss = l.forward(x, Tensor<float>::from({1}));
  EXPECT_NEAR(l.output()[1], 0.5761169f, 1e-6f);
  EXPECT_NEAR(loss, 0.5514445f, 1e-6f);  // -log(e / (2 + e))
}

TEST(SoftmaxWithLoss, ZeroProbabilityGivesFiniteLoss) {
  SoftmaxWithLoss<double> l;
  // y[0, 1] underflows to 0; the 1e-7 bounds the loss by -log(1e-7) = 16.118.
  double loss = l.forward(Tensor<double>::matrix({{0, -1000}}), Tensor<double>::from({1}));
  EXPECT_NEAR(loss, -std::log(1e-7), 1e-9);
}

TEST(SoftmaxWithLoss, OutOfRangeLabelIsNamed) {
  SoftmaxWithLoss<double> l;
  try {
    l.forward(scores(), Tensor<double>::from({1, 3}));
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "SoftmaxWithLoss: label 3 at row 1 is not a class index in [0, 3)");
  }
  EXPECT_THROW(l.forward(scores(), Tensor<double>::from({-1, 0})), std::invalid_argument);
  EXPECT_THROW(l.forward(scores(), Tensor<double>::from({0.5, 0})), std::invalid_argument);
  EXPECT_THROW(l.forward(scores(), Tensor<double>::from({NAN, 0})), std::invalid_argument);
}

TEST(SoftmaxWithLoss, LabelShapeErrorNamesBothShapes) {
  SoftmaxWithLoss<double> l;
  try {
    l.forward(scores(), Tensor<double>::from({1, 2, 0}));
    FAIL() << "no throw";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "SoftmaxWithLoss: expected labels (2,) or (2, 3), got (3,)");
  }
  EXPECT_THROW(l.forward(scores(), Tensor<double>({2, 4})), ShapeError);
}

// The 1e-7 inside the log makes the true derivative differ from (y - t)/N by a relative
// eps / (y_t + eps) ~ 1e-6 here, so the loss layer is checked at 1e-5 rather than 1e-7.
TEST(LayerCheck, SoftmaxWithLossPassesWithIndices) {
  SoftmaxWithLoss<double> l;
  check::LayerCheckOptions o;
  o.tol = 1e-5;
  auto r = check::check_loss_layer(l, check::random_input({4, 5}, 21), Tensor<double>::from({0, 4, 2, 2}), o);
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(LayerCheck, SoftmaxWithLossPassesWithOneHot) {
  SoftmaxWithLoss<double> l;
  check::LayerCheckOptions o;
  o.tol = 1e-5;
  auto t = Tensor<double>::matrix({{0, 1, 0}, {1, 0, 0}, {0, 0, 1}});
  auto r = check::check_loss_layer(l, check::random_input({3, 3}, 22), t, o);
  EXPECT_TRUE(r.ok) << r.report;
}
