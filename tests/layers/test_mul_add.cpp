#include <gtest/gtest.h>

#include "dlfs/layers/mul_add.hpp"

using namespace dlfs;

TEST(MulAdd, MulLayerSwapsInputsOnTheWayBack) {
  MulLayer m;
  EXPECT_DOUBLE_EQ(m.forward(3.0, -4.0), -12.0);
  auto [dx, dy] = m.backward(2.0);
  EXPECT_DOUBLE_EQ(dx, -8.0);  // dout * y
  EXPECT_DOUBLE_EQ(dy, 6.0);   // dout * x
}

TEST(MulAdd, AddLayerPassesDoutThrough) {
  AddLayer a;
  EXPECT_DOUBLE_EQ(a.forward(3.0, -4.0), -1.0);
  auto [dx, dy] = a.backward(1.5);
  EXPECT_DOUBLE_EQ(dx, 1.5);
  EXPECT_DOUBLE_EQ(dy, 1.5);
}

// The book's numbers (figure 5-16 and buy_apple.py).
TEST(MulAdd, BuyApple) {
  auto r = buy_apple();
  EXPECT_NEAR(r.price, 220, 1e-9);
  EXPECT_NEAR(r.dapple, 2.2, 1e-12);
  EXPECT_NEAR(r.dapple_num, 110, 1e-12);
  EXPECT_NEAR(r.dtax, 200, 1e-12);
}

// Figure 5-17 and buy_apple_orange.py.
TEST(MulAdd, BuyAppleOrange) {
  auto r = buy_apple_orange();
  EXPECT_NEAR(r.price, 715, 1e-9);
  EXPECT_NEAR(r.dapple_num, 110, 1e-12);
  EXPECT_NEAR(r.dapple, 2.2, 1e-12);
  EXPECT_NEAR(r.dorange, 3.3, 1e-12);
  EXPECT_NEAR(r.dorange_num, 165, 1e-12);
  EXPECT_NEAR(r.dtax, 650, 1e-12);
}
