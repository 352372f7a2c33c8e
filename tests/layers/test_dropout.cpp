// Chapter 6.4.3: Dropout. Masks follow the book's rule (rand > dropout_ratio) on dlfs::Rng, so a
// seed fixes them; inference scales by (1 - dropout_ratio); backward is dout * mask.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "dlfs/layers/dropout.hpp"
#include "layers/layer_check.hpp"

using namespace dlfs;

TEST(Dropout, TrainMaskIsTheBooksRuleOnTheSeededRng) {
  // self.mask = np.random.rand(*x.shape) > self.dropout_ratio; y = x * self.mask
  Dropout<double> d(0.5, 42);
  Tensor<double> x({4, 5});
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 1.0 + double(i);
  const auto& y = d.forward(x, true);
  Rng ref(42);
  std::size_t kept = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const bool keep = ref.uniform() > 0.5;
    EXPECT_EQ(d.mask()[i], keep ? 1.0 : 0.0) << i;
    EXPECT_EQ(y[i], keep ? x[i] : 0.0) << i;
    kept += keep;
  }
  EXPECT_GT(kept, 0u);  // a mask of all ones or all zeros would not test much
  EXPECT_LT(kept, x.size());
}

TEST(Dropout, TestModeScalesByTheKeptFraction) {
  // ratio 0.25: y = x * 0.75; (2, -4, 6) -> (1.5, -3, 4.5). No mask is drawn.
  Dropout<double> d(0.25, 1);
  const auto& y = d.forward(Tensor<double>::from({2, -4, 6}), false);
  EXPECT_EQ(y, Tensor<double>::from({1.5, -3, 4.5}));
  EXPECT_TRUE(d.mask().empty());
  // backward after inference: the derivative of x * 0.75
  EXPECT_EQ(d.backward(Tensor<double>::from({1, 2, -4})), Tensor<double>::from({0.75, 1.5, -3}));
}

TEST(Dropout, KeepsAboutOneMinusRatioOfManyElements) {
  // 100,000 draws: the kept fraction has standard deviation sqrt(0.3 * 0.7 / 1e5) = 0.00145, so
  // +-0.01 is about 7 sigma. The mean activation matches the inference scaling 1 - ratio.
  Dropout<float> d(0.3, 7);
  Tensor<float> x({100, 1000}, 1.0f);
  const auto& y = d.forward(x, true);
  double sum = 0;
  for (float v : y) sum += v;
  EXPECT_NEAR(sum / double(y.size()), 0.7, 0.01);
  const auto& yt = d.forward(x, false);
  EXPECT_FLOAT_EQ(yt[123], 0.7f);
}

TEST(Dropout, SameSeedSameMasksDifferentSeedDifferentMasks) {
  Dropout<double> a(0.5, 2024), b(0.5, 2024), c(0.5, 2025);
  Tensor<double> x({8, 16}, 1.0);
  for (int step = 0; step < 3; ++step) {
    const Tensor<double> ya = a.forward(x, true);
    EXPECT_EQ(ya, b.forward(x, true)) << step;
    EXPECT_NE(ya, c.forward(x, true)) << step;
  }
}

TEST(Dropout, EachTrainingForwardDrawsANewMaskUnlessFrozen) {
  Dropout<double> d(0.5, 3);
  Tensor<double> x({8, 16}, 1.0);
  const Tensor<double> m1 = d.forward(x, true);
  const Tensor<double> m2 = d.forward(x, true);
  EXPECT_NE(m1, m2);
  d.freeze_mask(true);
  EXPECT_TRUE(d.mask_frozen());
  EXPECT_EQ(d.forward(x, true), m2);
  EXPECT_EQ(d.forward(x, true), m2);
  d.freeze_mask(false);
  EXPECT_NE(d.forward(x, true), m2);
}

TEST(Dropout, FrozenBeforeTheFirstForwardDrawsOnceThenKeeps) {
  Dropout<double> d(0.5, 9);
  d.freeze_mask(true);
  Tensor<double> x({4, 8}, 2.0);
  const Tensor<double> y1 = d.forward(x, true);
  EXPECT_EQ(d.forward(x, true), y1);
  // A frozen mask cannot serve another shape.
  try {
    d.forward(Tensor<double>({5, 8}), true);
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_THAT(e.what(), testing::HasSubstr("(4, 8)"));
    EXPECT_THAT(e.what(), testing::HasSubstr("(5, 8)"));
  }
}

TEST(Dropout, BackwardIsDoutTimesMask) {
  Dropout<double> d(0.4, 5);
  Tensor<double> x({3, 7}, 1.0);
  d.forward(x, true);
  Tensor<double> dout({3, 7});
  for (std::size_t i = 0; i < dout.size(); ++i) dout[i] = 0.5 * double(i) - 3;
  const auto& dx = d.backward(dout);
  for (std::size_t i = 0; i < dout.size(); ++i) EXPECT_EQ(dx[i], dout[i] * d.mask()[i]) << i;
  EXPECT_THROW(d.backward(Tensor<double>({7, 3})), ShapeError);
}

TEST(Dropout, GradientCheckWithFrozenMask) {
  Dropout<double> d(0.5, 17);
  d.freeze_mask(true);
  auto r = check::check_layer(d, check::random_input({4, 6}, 8));
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(Dropout, RngStateRestoresTheNextMask) {
  // A checkpoint saves rng().state(); restoring it replays the same next mask.
  Dropout<double> d(0.5, 77);
  Tensor<double> x({5, 5}, 1.0);
  d.forward(x, true);
  const auto saved = d.rng().state();
  const Tensor<double> next = d.forward(x, true);
  Dropout<double> e(0.5, 1);
  e.rng().set_state(saved);
  EXPECT_EQ(e.forward(x, true), next);
}

TEST(Dropout, ValidatesRatioAndUse) {
  EXPECT_THROW(Dropout<double>(-0.1, 0), std::invalid_argument);
  EXPECT_THROW(Dropout<double>(1.0, 0), std::invalid_argument);
  EXPECT_THROW(Dropout<double>(std::nan(""), 0), std::invalid_argument);
  try {
    Dropout<double>(1.5, 0);
    ADD_FAILURE() << "accepted dropout_ratio 1.5";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), testing::HasSubstr("dropout_ratio must be in [0, 1), got 1.5"));
    EXPECT_THAT(e.what(), testing::Not(testing::HasSubstr("1.50")));
  }
  Dropout<double> none(0.0, 0);  // ratio 0 keeps everything
  EXPECT_EQ(none.forward(Tensor<double>::from({1, 2}), true), Tensor<double>::from({1, 2}));
  Dropout<double> fresh(0.5, 0);
  EXPECT_THROW(fresh.backward(Tensor<double>({2})), std::runtime_error);
  EXPECT_EQ(fresh.type(), "Dropout");
}

TEST(Dropout, DefaultRatioIsTheBooks) {
  // common/layers.py: Dropout(dropout_ratio=0.5). At inference the output is x * (1 - 0.5).
  Dropout<double> d;
  Tensor<double> x({1, 3});
  x[0] = 2.0, x[1] = -4.0, x[2] = 6.0;
  const auto& y = d.forward(x, false);
  EXPECT_EQ(y[0], 1.0);
  EXPECT_EQ(y[1], -2.0);
  EXPECT_EQ(y[2], 3.0);
}
