#include <gtest/gtest.h>

#include "dlfs/linalg.hpp"
#include "dlfs/rng.hpp"
#include "dlfs/tensor.hpp"

using namespace dlfs;

TEST(Tensor, ShapeErrorNamesBothShapes) {
  try {
    expect_shape({100, 785}, {100, 784}, "Affine1");
    FAIL() << "no throw";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "Affine1: expected (100, 784), got (100, 785)");
  }
}

TEST(Tensor, ReshapeKeepsValuesAndRejectsWrongCount) {
  Tensor<float> t({2, 3});
  for (std::size_t i = 0; i < 6; ++i) t[i] = float(i);
  t.reshape({3, 2});
  EXPECT_EQ(t(2, 1), 5.0f);
  EXPECT_THROW(t.reshape({4, 2}), ShapeError);
}

TEST(Tensor, HugeShapeThrowsInsteadOfOverflowing) {
  EXPECT_THROW(shape_numel({1ull << 40, 1ull << 40}), ShapeError);
}

TEST(Linalg, BlasMatchesNaiveWithTransposes) {
  Rng rng(1);
  Tensor<double> A({7, 5}), B({5, 3});
  for (auto& v : A) v = rng.normal();
  for (auto& v : B) v = rng.normal();
  auto ref = matmul_naive(A, B);
  auto C = matmul(A, B);
  ASSERT_EQ(C.shape(), ref.shape());
  for (std::size_t i = 0; i < C.size(); ++i) EXPECT_NEAR(C[i], ref[i], 1e-12);
  // A^T stored as (5,7): op(At)^T = A
  Tensor<double> At({5, 7});
  for (std::size_t i = 0; i < 7; ++i)
    for (std::size_t j = 0; j < 5; ++j) At(j, i) = A(i, j);
  auto C2 = matmul(At, B, Trans::Yes, Trans::No);
  for (std::size_t i = 0; i < C.size(); ++i) EXPECT_NEAR(C2[i], ref[i], 1e-12);
  EXPECT_THROW(matmul(A, A), ShapeError);
}

TEST(Rng, SameSeedSameNumbersAndStateRoundTrips) {
  Rng a(42), b(42);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.next_u64(), b.next_u64());
  a.normal();
  auto s = a.state();
  double x = a.normal(), y = a.normal();
  b.set_state(s);
  EXPECT_EQ(b.normal(), x);
  EXPECT_EQ(b.normal(), y);
  // mean and variance of normals are sane
  double m = 0, v = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    double z = a.normal();
    m += z;
    v += z * z;
  }
  EXPECT_NEAR(m / n, 0.0, 0.03);
  EXPECT_NEAR(v / n, 1.0, 0.05);
}
