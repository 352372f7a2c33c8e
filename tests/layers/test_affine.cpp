#include <gtest/gtest.h>

#include "dlfs/layers/affine.hpp"
#include "layers/layer_check.hpp"

using namespace dlfs;

namespace {
Affine<double> small_affine() {
  return Affine<double>(Tensor<double>::matrix({{1, 2, 3}, {4, 5, 6}}), Tensor<double>::from({0.1, 0.2, 0.3}));
}
void expect_near(const Tensor<double>& got, const Tensor<double>& want) {
  ASSERT_EQ(got.shape(), want.shape());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12) << "at " << i;
}
}  // namespace

// out = x W + b, dx = dout W^T, dW = x^T dout, db = sum of dout over the batch (worked by hand).
TEST(Affine, HandComputed2D) {
  auto a = small_affine();
  auto x = Tensor<double>::matrix({{1, 2}, {3, -1}});
  expect_near(a.forward(x, true), Tensor<double>::matrix({{9.1, 12.2, 15.3}, {-0.9, 1.2, 3.3}}));
  const auto& dx = a.backward(Tensor<double>::matrix({{1, 0, -1}, {2, 1, 0}}));
  expect_near(dx, Tensor<double>::matrix({{-2, -2}, {4, 13}}));
  expect_near(a.W().grad, Tensor<double>::matrix({{7, 3, -1}, {0, -1, -2}}));
  expect_near(a.b().grad, Tensor<double>::from({3, 1, -1}));
}

TEST(Affine, ParamsAreNamedWAndB) {
  auto a = small_affine();
  auto ps = a.params();
  ASSERT_EQ(ps.size(), 2u);
  EXPECT_EQ(ps[0]->name, "W");
  EXPECT_EQ(ps[1]->name, "b");
  EXPECT_EQ(ps[0]->grad.shape(), (Shape{2, 3}));
}

// An image batch (N, C, H, W) = (2, 1, 2, 2) is flattened to (2, 4); dx comes back 4-D.
TEST(Affine, FourDInputIsFlattenedAndDxRestored) {
  Affine<double> a(Tensor<double>::matrix({{1, 0}, {0, 1}, {1, 0}, {0, 1}}), Tensor<double>::from({0, 1}));
  Tensor<double> x({2, 1, 2, 2});
  for (std::size_t i = 0; i < 8; ++i) x[i] = double(i);  // rows [0 1 2 3], [4 5 6 7]
  expect_near(a.forward(x, true), Tensor<double>::matrix({{2, 5}, {10, 13}}));
  const auto& dx = a.backward(Tensor<double>::matrix({{1, 2}, {3, 4}}));
  EXPECT_EQ(dx.shape(), (Shape{2, 1, 2, 2}));
  expect_near(dx, Tensor<double>({2, 1, 2, 2}, {1, 2, 1, 2, 3, 4, 3, 4}));
  expect_near(a.W().grad, Tensor<double>::matrix({{12, 16}, {16, 22}, {20, 28}, {24, 34}}));
  expect_near(a.b().grad, Tensor<double>::from({4, 6}));
}

TEST(Affine, NoDxWhenNotNeededButStillParamGrads) {
  auto a = small_affine();
  a.set_need_dx(false);
  a.forward(Tensor<double>::matrix({{1, 2}, {3, -1}}), true);
  const auto& dx = a.backward(Tensor<double>::matrix({{1, 0, -1}, {2, 1, 0}}));
  EXPECT_TRUE(dx.empty());
  expect_near(a.W().grad, Tensor<double>::matrix({{7, 3, -1}, {0, -1, -2}}));
}

TEST(Affine, ShapeErrorNamesLayerAndBothShapes) {
  Affine<float> a(Tensor<float>({784, 50}), Tensor<float>({50}));
  try {
    a.forward(Tensor<float>({100, 785}), true);
    FAIL() << "no throw";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "Affine: expected input (N, 784), got (100, 785)");
  }
  try {
    a.forward(Tensor<float>({100, 1, 28, 29}), true);
    FAIL() << "no throw";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "Affine: expected input (N, 784), got (100, 1, 28, 29) = (100, 812) flattened");
  }
  EXPECT_THROW(a.forward(Tensor<float>({784}), true), ShapeError);  // 1-D: no batch axis
}

TEST(Affine, ConstructorRejectsMismatchedBias) {
  EXPECT_THROW(Affine<double>(Tensor<double>({3, 4}), Tensor<double>({3})), ShapeError);
  EXPECT_THROW(Affine<double>(Tensor<double>({12}), Tensor<double>({12})), ShapeError);
}

TEST(Affine, BackwardRejectsWrongDout) {
  auto a = small_affine();
  a.forward(Tensor<double>::matrix({{1, 2}, {3, -1}}), true);
  EXPECT_THROW(a.backward(Tensor<double>({2, 2})), ShapeError);
}

TEST(LayerCheck, AffinePasses) {
  Affine<double> a(check::random_input({5, 4}, 10), check::random_input({4}, 11));
  auto r = check::check_layer(a, check::random_input({3, 5}, 12));
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(LayerCheck, AffinePassesOn4D) {
  Affine<double> a(check::random_input({12, 3}, 13), check::random_input({3}, 14));
  auto r = check::check_layer(a, check::random_input({2, 3, 2, 2}, 15));
  EXPECT_TRUE(r.ok) << r.report;
}
