#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "dlfs/nets/init.hpp"

using namespace dlfs;

TEST(InitScale, NumberIsAFixedStd) {
  EXPECT_DOUBLE_EQ(init_scale("0.01", 784), 0.01);
  EXPECT_DOUBLE_EQ(init_scale("1", 3), 1.0);
  EXPECT_DOUBLE_EQ(init_scale("0", 3), 0.0);
}

TEST(InitScale, HeIsSqrtTwoOverFanIn) {
  EXPECT_DOUBLE_EQ(init_scale("he", 100), std::sqrt(0.02));
  EXPECT_DOUBLE_EQ(init_scale("relu", 8), 0.5);
  EXPECT_DOUBLE_EQ(init_scale("ReLU", 8), 0.5);  // the book lower-cases the name
}

TEST(InitScale, XavierIsSqrtOneOverFanIn) {
  EXPECT_DOUBLE_EQ(init_scale("xavier", 100), 0.1);
  EXPECT_DOUBLE_EQ(init_scale("sigmoid", 4), 0.5);
}

TEST(InitScale, AnythingElseNamesTheAcceptedValues) {
  try {
    init_scale("glorot", 10);
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "weight_init_std: expected a number, he, relu, xavier or sigmoid, got 'glorot'");
  }
  EXPECT_THROW(init_scale("", 10), std::invalid_argument);
  EXPECT_THROW(init_scale("0.01x", 10), std::invalid_argument);
  EXPECT_THROW(init_scale("-0.1", 10), std::invalid_argument);
  EXPECT_THROW(init_scale("nan", 10), std::invalid_argument);
  EXPECT_THROW(init_scale("he", 0), std::invalid_argument);
}

TEST(Randn, ScaledNormalDrawsAndSizeLimit) {
  Rng a(3), b(3);
  auto w = randn<double>({2, 3}, 0.5, a, "W");
  ASSERT_EQ(w.shape(), (Shape{2, 3}));
  for (std::size_t i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(w[i], 0.5 * b.normal());
  EXPECT_THROW(randn<float>({1u << 20, 1u << 20}, 1.0, a, "W1"), std::invalid_argument);
}
