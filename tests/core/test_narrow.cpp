// The narrow kernels (linalg.hpp: a first layer's x W + b and x^T dout without BLAS): the sums
// they compute, for every width they take, whatever the row count, the slicing of W or the
// thread count. On a CPU without AVX-512 they decline (return false) and the tests say so.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "dlfs/linalg.hpp"
#include "dlfs/rng.hpp"

using namespace dlfs;

namespace {

std::vector<float> values(std::size_t n, std::uint64_t seed, bool integers) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = integers ? float(int(rng.randint(9)) - 4) : float(rng.normal());
  return v;
}

// out = x W + b in double, the reference.
std::vector<double> affine_ref(const std::vector<float>& x, const std::vector<float>& W, const std::vector<float>& b,
                               std::size_t N, std::size_t D, std::size_t M) {
  std::vector<double> out(N * M);
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t m = 0; m < M; ++m) {
      double s = b[m];
      for (std::size_t d = 0; d < D; ++d) s += double(x[n * D + d]) * double(W[d * M + m]);
      out[n * M + m] = s;
    }
  return out;
}

std::vector<double> grad_ref(const std::vector<float>& x, const std::vector<float>& g, std::size_t N, std::size_t D,
                             std::size_t M) {
  std::vector<double> dW(D * M, 0.0);
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t d = 0; d < D; ++d)
      for (std::size_t m = 0; m < M; ++m) dW[d * M + m] += double(x[n * D + d]) * double(g[n * M + m]);
  return dW;
}

}  // namespace

TEST(Narrow, DeclinesWidthsOverSixtyFour) {
  EXPECT_FALSE(narrow_available(0));
  EXPECT_FALSE(narrow_available(65));
  std::vector<float> x(4 * 8, 1.0f), W(8 * 65, 1.0f), out(4 * 65, -1.0f);
  EXPECT_FALSE(narrow_affine(4, 8, 65, x.data(), W.data(), nullptr, out.data()));
  EXPECT_EQ(out[0], -1.0f) << "declined: nothing written";
}

// Integer values: every partial sum is exact, so the kernels must give the exact sums, for widths
// that end on a full vector (16, 64), one lane past it (17), and the book's 50; row counts that
// leave a partial block of 6; D beyond one slice of W (784 x 50 floats is five slices).
TEST(Narrow, ExactOnIntegersForEveryWidthAndRowCount) {
  if (!narrow_available(50)) GTEST_SKIP() << "no AVX-512 on this CPU: the narrow kernels decline, gemm is used";
  for (std::size_t M : {1u, 2u, 10u, 16u, 17u, 33u, 50u, 64u})
    for (std::size_t N : {1u, 5u, 6u, 7u, 100u})
      for (std::size_t D : {3u, 200u, 784u}) {
        auto x = values(N * D, 1 + N, true), W = values(D * M, 2 + M, true), b = values(M, 3, true);
        auto g = values(N * M, 4 + D, true);
        std::vector<float> out(N * M + 1, 99.0f), dW(D * M + 1, 99.0f);
        ASSERT_TRUE(narrow_affine(N, D, M, x.data(), W.data(), b.data(), out.data()));
        ASSERT_TRUE(narrow_weight_grad(N, D, M, x.data(), g.data(), dW.data()));
        const auto o = affine_ref(x, W, b, N, D, M), w = grad_ref(x, g, N, D, M);
        for (std::size_t i = 0; i < N * M; ++i) ASSERT_EQ(double(out[i]), o[i]) << "out " << N << "x" << D << "x" << M << " at " << i;
        for (std::size_t i = 0; i < D * M; ++i) ASSERT_EQ(double(dW[i]), w[i]) << "dW " << N << "x" << D << "x" << M << " at " << i;
        EXPECT_EQ(out[N * M], 99.0f) << "wrote past out";
        EXPECT_EQ(dW[D * M], 99.0f) << "wrote past dW";
      }
}

// Real values: float sums agree with the double reference to rounding, a null b is 0, and the
// result is the same bit for bit with 1 and 2 threads.
TEST(Narrow, RealValuesToRoundingAndThreadIndependent) {
  if (!narrow_available(50)) GTEST_SKIP() << "no AVX-512 on this CPU: the narrow kernels decline, gemm is used";
  const std::size_t N = 100, D = 784, M = 50;
  auto x = values(N * D, 5, false), W = values(D * M, 6, false), g = values(N * M, 7, false);
  std::vector<float> zero(M, 0.0f);
  const auto o = affine_ref(x, W, zero, N, D, M), w = grad_ref(x, g, N, D, M);
  std::vector<float> out1(N * M), out2(N * M), dW1(D * M), dW2(D * M);
  set_num_threads(1);
  ASSERT_TRUE(narrow_affine(N, D, M, x.data(), W.data(), nullptr, out1.data()));
  ASSERT_TRUE(narrow_weight_grad(N, D, M, x.data(), g.data(), dW1.data()));
  set_num_threads(2);
  ASSERT_TRUE(narrow_affine(N, D, M, x.data(), W.data(), nullptr, out2.data()));
  ASSERT_TRUE(narrow_weight_grad(N, D, M, x.data(), g.data(), dW2.data()));
  set_num_threads(0);
  EXPECT_EQ(out1, out2);
  EXPECT_EQ(dW1, dW2);
  // Sums of 784 (or 100) products of unit normals: |sum| ~ 28 (10); float rounding ~1e-5 of that.
  for (std::size_t i = 0; i < N * M; ++i) ASSERT_NEAR(out1[i], o[i], 2e-4) << i;
  for (std::size_t i = 0; i < D * M; ++i) ASSERT_NEAR(dW1[i], w[i], 1e-4) << i;
}
