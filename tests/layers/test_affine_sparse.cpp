// Affine takes the row-sparse path for mostly-zero inputs (decided from the previous batch) and
// computes the same x W + b, dW and db as the GEMM path.
#include <gtest/gtest.h>

#include "dlfs/layers/affine.hpp"
#include "dlfs/rng.hpp"

using namespace dlfs;

namespace {
// Integer values so both paths' sums are exact and must agree bit for bit.
Tensor<float> int_matrix(std::size_t r, std::size_t c, double density, std::uint64_t seed) {
  Rng rng(seed);
  Tensor<float> x({r, c});
  for (auto& v : x)
    if (rng.uniform() < density) v = float(int(rng.randint(5)) + 1) * (rng.uniform() < 0.5 ? -1.0f : 1.0f);
  return x;
}
}  // namespace

TEST(AffineSparse, SwitchesOnDensityAndMatchesTheGemmPath) {
  const std::size_t N = 40, D = 70, M = 50;
  auto W = int_matrix(D, M, 1.0, 1), b = int_matrix(1, M, 1.0, 2).reshape({M});
  Affine<float> dense_ref(W, b), a(W, b);
  auto sparse_x = int_matrix(N, D, 0.2, 3), dense_x = int_matrix(N, D, 0.95, 4);
  auto dout = int_matrix(N, M, 1.0, 5);

  // The path follows the density of the batch itself (never earlier batches, so a resumed run
  // repeats an uninterrupted one): density 0.2 takes the sparse path, and agrees with the GEMM.
  Tensor<float> out1 = a.forward(sparse_x, true);
  EXPECT_TRUE(a.used_sparse());
  Tensor<float> out2 = a.forward(sparse_x, true);
  EXPECT_TRUE(a.used_sparse());
  EXPECT_EQ(out1, out2);
  a.backward(dout);
  dense_ref.set_allow_sparse(false);
  EXPECT_EQ(dense_ref.forward(sparse_x, true), out1);  // the GEMM gets the same (integer) sums
  EXPECT_FALSE(dense_ref.used_sparse());
  const Tensor<float> dx_ref = dense_ref.backward(dout);
  EXPECT_EQ(a.W().grad, dense_ref.W().grad);
  EXPECT_EQ(a.b().grad, dense_ref.b().grad);

  // dx does not depend on the path either.
  EXPECT_EQ(a.backward(dout), dx_ref);

  // A dense batch goes straight back to the GEMM.
  Tensor<float> d1 = a.forward(dense_x, true);
  EXPECT_FALSE(a.used_sparse());
  Tensor<float> d2 = a.forward(dense_x, true);
  EXPECT_FALSE(a.used_sparse());
  EXPECT_EQ(d1, d2);
}

// Non-integer values: the paths differ only by summation order.
TEST(AffineSparse, RealValuesAgreeToRounding) {
  const std::size_t N = 100, D = 784, M = 50;
  Rng rng(7);
  Tensor<float> W({D, M}), b({M}), x({N, D}), dout({N, M});
  for (auto& v : W) v = float(0.01 * rng.normal());
  for (auto& v : x) v = rng.uniform() < 0.2 ? float(rng.uniform()) : 0.0f;
  for (auto& v : dout) v = float(rng.normal());
  Affine<float> gemm_path(W, b), sparse_path(W, b);
  sparse_path.forward(x, true);  // learns the density
  const Tensor<float>& ys = sparse_path.forward(x, true);
  ASSERT_TRUE(sparse_path.used_sparse());
  const Tensor<float>& yd = gemm_path.forward(x, true);
  for (std::size_t i = 0; i < ys.size(); ++i) EXPECT_NEAR(ys[i], yd[i], 1e-5) << i;
  sparse_path.backward(dout);
  gemm_path.backward(dout);
  for (std::size_t i = 0; i < W.size(); ++i) EXPECT_NEAR(sparse_path.W().grad[i], gemm_path.W().grad[i], 1e-4) << i;
}

// An evaluation set compressed once and read in place: the rows asked for, the same numbers as
// forward() on those rows; backward after it is refused rather than computed from stale data.
TEST(AffineSparse, KeptSetRowsReadInPlace) {
  const std::size_t N = 30, D = 40, M = 50;
  auto W = int_matrix(D, M, 1.0, 11), b = int_matrix(1, M, 1.0, 12).reshape({M});
  auto x = int_matrix(N, D, 0.2, 13);
  SparseRows<float> kept;
  kept.reset(N, D);
  kept.compress_rows(x.data(), 0, N);
  Affine<float> a(W, b), ref(W, b);
  const Tensor<float> y = a.forward_sparse_rows(kept, 7, 9);  // rows 7..15
  Tensor<float> rows({9, D});
  std::copy(x.data() + 7 * D, x.data() + 16 * D, rows.data());
  EXPECT_EQ(y, ref.forward(rows, false));
  EXPECT_EQ(y.shape(), (Shape{9, M}));
  EXPECT_THROW(a.backward(Tensor<float>({9, M})), std::logic_error);
  EXPECT_THROW(a.forward_sparse_rows(kept, 25, 9), ShapeError);  // past the kept rows
  a.forward(rows, true);                                          // a training forward re-enables backward
  EXPECT_NO_THROW(a.backward(Tensor<float>({9, M})));
}

// The caller's hints (the trainer's byte count, LayerNet::gradient's borrowed input) hold for one
// forward only and change no result: a hinted-dense batch takes the GEMM, the next one is
// counted again; a borrowed input gives the dW a copied one gives.
TEST(AffineSparse, HintsHoldForOneForwardAndChangeNoResult) {
  const std::size_t N = 40, D = 70, M = 50;
  auto W = int_matrix(D, M, 1.0, 1), b = int_matrix(1, M, 1.0, 2).reshape({M});
  auto sparse_x = int_matrix(N, D, 0.2, 3), dout = int_matrix(N, M, 1.0, 5);
  Affine<float> a(W, b), ref(W, b);
  ref.set_allow_sparse(false);
  const Tensor<float> out_ref = ref.forward(sparse_x, true);
  ref.backward(dout);

  a.hint_next_forward_dense();
  EXPECT_EQ(a.forward(sparse_x, true), out_ref);
  if (a.sparse_max_density() < 1.0) EXPECT_FALSE(a.used_sparse()) << "the hint skips the count: GEMM path";
  a.forward(sparse_x, true);
  EXPECT_TRUE(a.used_sparse()) << "the hint is spent: this batch is counted and goes sparse";

  // Borrowed: backward reads the caller's x, which is still alive and unchanged.
  a.set_allow_sparse(false);
  a.hint_next_forward_borrow();
  EXPECT_EQ(a.forward(sparse_x, true), out_ref);
  a.backward(dout);
  EXPECT_EQ(a.W().grad, ref.W().grad);
  EXPECT_EQ(a.b().grad, ref.b().grad);
  // Spent too: the next training forward copies x, so overwriting the caller's tensor after it
  // leaves dW as it was.
  Tensor<float> x = sparse_x;
  a.forward(x, true);
  x.fill(7.0f);
  a.backward(dout);
  EXPECT_EQ(a.W().grad, ref.W().grad);
}
