// Row-sparse kernels: the entries they keep, and x W + b / x^T dout equal to the dense products
// (bitwise on integer-valued data, where every partial sum is exact; to rounding otherwise), for
// every kernel set this CPU has and for widths that exercise the vector tails and blocks.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "dlfs/linalg.hpp"
#include "dlfs/rng.hpp"
#include "dlfs/sparse.hpp"

using namespace dlfs;

namespace {

// A (rows, cols) matrix with about `density` non-zeros; integer values in [-4, 4] when `ints`.
template <class T>
Tensor<T> sparse_matrix(std::size_t rows, std::size_t cols, double density, bool ints, std::uint64_t seed) {
  Rng rng(seed);
  Tensor<T> x({rows, cols});
  for (auto& v : x) {
    if (rng.uniform() >= density) continue;
    v = ints ? T(int(rng.randint(9)) - 4) : T(rng.normal());
    if (v == T(0)) v = T(1);
  }
  return x;
}

template <class T>
Tensor<T> dense_matrix(std::size_t rows, std::size_t cols, bool ints, std::uint64_t seed) {
  Rng rng(seed);
  Tensor<T> x({rows, cols});
  for (auto& v : x) v = ints ? T(int(rng.randint(7)) - 3) : T(rng.normal());
  return x;
}

std::vector<std::string> kernel_sets() {
  std::vector<std::string> out;
  for (const char* k : {"plain", "avx2", "avx512"})
    if (set_sparse_kernels(k)) out.push_back(k);
  set_sparse_kernels("best");
  return out;
}

struct RestoreKernels {
  ~RestoreKernels() { set_sparse_kernels("best"); }
};

// The inputs of the layout tests: a (rows, cols) byte matrix, 30% non-zero, the same as floats
// (byte / 255), and W (cols, M), a bias and dout (rows, M).
struct LayoutCase {
  std::vector<std::uint8_t> bytes;
  Tensor<float> x, W, bias, dout;
};
LayoutCase layout_case(Rng& rng, std::size_t rows, std::size_t cols, std::size_t M) {
  LayoutCase c;
  c.bytes.resize(rows * cols);
  for (auto& b : c.bytes) b = rng.uniform() < 0.3 ? std::uint8_t(1 + rng.randint(255)) : std::uint8_t(0);
  c.x = Tensor<float>({rows, cols});
  for (std::size_t i = 0; i < c.bytes.size(); ++i) c.x[i] = float(c.bytes[i]) * (1.0f / 255.0f);
  c.W = dense_matrix<float>(cols, M, false, 3 + M);
  c.bias = dense_matrix<float>(1, M, false, 5 + M);
  c.dout = dense_matrix<float>(rows, M, false, 7 + M);
  return c;
}

}  // namespace

TEST(SparseRows, KeepsNonZerosInColumnOrderPerRow) {
  auto x = Tensor<float>::matrix({{0, 1.5f, 0, -2, 0}, {0, 0, 0, 0, 0}, {3, 0, 0, 0, 7}});
  RestoreKernels restore;
  for (const auto& k : kernel_sets()) {
    set_sparse_kernels(k);
    SparseRows<float> s;
    s.reset(3, 5, SparseLayout::Rows);
    EXPECT_EQ(s.compress_rows(x.data(), 0, 3), 4u) << k;
    ASSERT_EQ(s.count(0), 2u) << k;
    EXPECT_EQ(s.index(0)[0], 1u);
    EXPECT_EQ(s.index(0)[1], 3u);
    EXPECT_EQ(s.value(0)[0], 1.5f);
    EXPECT_EQ(s.value(0)[1], -2.0f);
    EXPECT_EQ(s.count(1), 0u) << k;
    ASSERT_EQ(s.count(2), 2u) << k;
    EXPECT_EQ(s.index(2)[1], 4u);
    EXPECT_EQ(s.value(2)[1], 7.0f);
  }
}

// Every kernel set keeps exactly the plain loop's entries, from bytes and from floats, for widths
// that end inside a 32-byte block, inside an 8-byte group and on a boundary (784 = 24 x 32 + 16),
// and for densities from a blank row to a full one.
TEST(SparseRows, EveryKernelKeepsThePlainLoopsEntries) {
  RestoreKernels restore;
  Rng rng(7);
  for (std::size_t cols : {1u, 7u, 8u, 13u, 31u, 32u, 33u, 50u, 784u}) {
    for (double density : {0.0, 0.05, 0.2, 0.5, 1.0}) {
      const std::size_t rows = 5;
      std::vector<std::uint8_t> bytes(rows * cols);
      for (auto& b : bytes) b = rng.uniform() < density ? std::uint8_t(1 + rng.randint(255)) : std::uint8_t(0);
      Tensor<float> x({rows, cols});
      for (std::size_t i = 0; i < bytes.size(); ++i) x[i] = float(bytes[i]) * (1.0f / 255.0f);
      set_sparse_kernels("plain");
      SparseRows<float> want;
      want.reset(rows, cols, SparseLayout::Rows);
      const std::size_t n_want = want.compress_bytes(bytes.data(), cols, nullptr, 0, 0, rows, 1.0f / 255.0f);
      for (const auto& k : kernel_sets()) {
        set_sparse_kernels(k);
        SparseRows<float> from_bytes, from_floats;
        from_bytes.reset(rows, cols, SparseLayout::Rows);
        from_floats.reset(rows, cols, SparseLayout::Rows);
        EXPECT_EQ(from_bytes.compress_bytes(bytes.data(), cols, nullptr, 0, 0, rows, 1.0f / 255.0f), n_want) << k;
        EXPECT_EQ(from_floats.compress_rows(x.data(), 0, rows), n_want) << k;
        for (std::size_t r = 0; r < rows; ++r) {
          ASSERT_EQ(from_bytes.count(r), want.count(r)) << k << " cols " << cols << " row " << r;
          ASSERT_EQ(from_floats.count(r), want.count(r)) << k << " cols " << cols << " row " << r;
          for (std::size_t i = 0; i < want.count(r); ++i) {
            EXPECT_EQ(from_bytes.index(r)[i], want.index(r)[i]) << k << " cols " << cols;
            EXPECT_EQ(from_floats.index(r)[i], want.index(r)[i]) << k << " cols " << cols;
            EXPECT_EQ(from_bytes.value(r)[i], want.value(r)[i]) << k << " cols " << cols;
            EXPECT_EQ(from_floats.value(r)[i], want.value(r)[i]) << k << " cols " << cols;
            EXPECT_EQ(want.value(r)[i], float(bytes[r * cols + want.index(r)[i]]) * (1.0f / 255.0f));
          }
        }
      }
    }
  }
}

// The Pairs layout (AVX2): each pair holds the union of its two rows' columns with both values,
// from bytes and from floats alike; x W + b and x^T dout equal the Rows layout's bit for bit (the
// union only adds terms 0 * w), for odd row counts (a last row paired with zeros), thread-sized
// ranges, slices that start inside a pair, and widths that exercise every column-block tail.
TEST(SparseRows, PairsLayoutGivesTheRowsLayoutsNumbers) {
  RestoreKernels restore;
  if (!set_sparse_kernels("avx2")) GTEST_SKIP() << "no AVX2 on this CPU: the Pairs layout is never used";
  Rng rng(11);
  for (std::size_t M : {1u, 2u, 3u, 7u, 8u, 10u, 18u, 32u, 50u, 77u}) {
    const std::size_t rows = 9, cols = 45;
    const LayoutCase c = layout_case(rng, rows, cols, M);
    const std::vector<std::uint8_t>& bytes = c.bytes;
    const Tensor<float>&x = c.x, &W = c.W, &bias = c.bias, &dout = c.dout;
    SparseRows<float> by_rows, by_pairs, pairs_from_floats;
    by_rows.reset(rows, cols, SparseLayout::Rows);
    by_pairs.reset(rows, cols, SparseLayout::Pairs);
    pairs_from_floats.reset(rows, cols, SparseLayout::Pairs);
    ASSERT_TRUE(by_pairs.paired());
    by_rows.compress_rows(x.data(), 0, rows);
    by_pairs.compress_bytes(bytes.data(), cols, nullptr, 0, 0, 4, 1.0f / 255.0f);  // two ranges of whole pairs
    by_pairs.compress_bytes(bytes.data(), cols, nullptr, 0, 4, rows, 1.0f / 255.0f);
    pairs_from_floats.compress_rows(x.data(), 0, rows);
    EXPECT_THROW(pairs_from_floats.compress_rows(x.data(), 1, 3), std::invalid_argument);  // splits a pair
    for (std::size_t p = 0; p < (rows + 1) / 2; ++p) {
      std::size_t want = 0;
      for (std::size_t k = 0; k < cols; ++k) {
        const std::uint8_t a = bytes[2 * p * cols + k], b = 2 * p + 1 < rows ? bytes[(2 * p + 1) * cols + k] : 0;
        if (!(a | b)) continue;
        ASSERT_LT(want, by_pairs.pair_count(p));
        EXPECT_EQ(by_pairs.pair_index(p)[want], k);
        EXPECT_EQ(by_pairs.pair_value(p)[2 * want], float(a) * (1.0f / 255.0f));
        EXPECT_EQ(by_pairs.pair_value(p)[2 * want + 1], float(b) * (1.0f / 255.0f));
        EXPECT_EQ(pairs_from_floats.pair_index(p)[want], k);
        EXPECT_EQ(pairs_from_floats.pair_value(p)[2 * want + 1], by_pairs.pair_value(p)[2 * want + 1]);
        ++want;
      }
      EXPECT_EQ(by_pairs.pair_count(p), want) << "pair " << p;
    }
    Tensor<float> want({rows, M}), got({rows, M}), slice({5, M}), slice_want({5, M});
    sparse_affine_rows(by_rows, 0, rows, W.data(), bias.data(), M, want.data());
    sparse_affine_rows(by_pairs, 0, 3, W.data(), bias.data(), M, got.data());  // a cut inside pair 1
    sparse_affine_rows(by_pairs, 3, rows, W.data(), bias.data(), M, got.data());
    EXPECT_EQ(got, want) << "M " << M;
    sparse_affine_rows(by_pairs, 0, 5, W.data(), bias.data(), M, slice.data(), 3);  // rows 3..7
    sparse_affine_rows(by_rows, 0, 5, W.data(), bias.data(), M, slice_want.data(), 3);
    EXPECT_EQ(slice, slice_want) << "M " << M;
    Tensor<float> dW_want({cols, M}), dW_got({cols, M}, 99.0f);
    sparse_weight_grad(by_rows, 0, cols, dout.data(), M, dW_want.data());
    sparse_weight_grad(by_pairs, 0, 20, dout.data(), M, dW_got.data());  // two ranges, as two threads
    sparse_weight_grad(by_pairs, 20, cols, dout.data(), M, dW_got.data());
    EXPECT_EQ(dW_got, dW_want) << "M " << M;
  }
}

// The Columns layout (AVX2): each block of rows, transposed, lists per pair of columns the rows
// with a non-zero in either, with both values, from bytes and from floats alike; x W + b per block
// and x^T dout over the blocks equal the Rows layout's bit for bit. Blocks of 20, 17 and 37 rows
// (the transposition's 16- and 32-row groups, partly padded), 45 columns (an odd last column, and
// 13 past the last 16-column group), widths that exercise every column-block tail.
TEST(SparseRows, ColumnsLayoutGivesTheRowsLayoutsNumbers) {
  RestoreKernels restore;
  if (!set_sparse_kernels("avx2")) GTEST_SKIP() << "no AVX2 on this CPU: the Columns layout is never used";
  Rng rng(13);
  for (std::size_t M : {1u, 3u, 8u, 10u, 18u, 50u, 77u}) {
    const std::size_t rows = 37, cols = 45;
    const LayoutCase c = layout_case(rng, rows, cols, M);
    const std::vector<std::uint8_t>& bytes = c.bytes;
    const Tensor<float>&x = c.x, &W = c.W, &bias = c.bias, &dout = c.dout;
    SparseRows<float> by_rows, two_blocks, one_block, from_floats;
    by_rows.reset(rows, cols, SparseLayout::Rows);
    two_blocks.reset(rows, cols, SparseLayout::Columns);
    one_block.reset(rows, cols, SparseLayout::Columns);
    from_floats.reset(rows, cols, SparseLayout::Columns);
    ASSERT_TRUE(two_blocks.columns());
    ASSERT_FALSE(two_blocks.paired());
    by_rows.compress_rows(x.data(), 0, rows);
    two_blocks.compress_bytes(bytes.data(), cols, nullptr, 0, 20, rows, 1.0f / 255.0f);  // filled out of order
    two_blocks.compress_bytes(bytes.data(), cols, nullptr, 0, 0, 20, 1.0f / 255.0f);
    one_block.compress_bytes(bytes.data(), cols, nullptr, 0, 0, rows, 1.0f / 255.0f);
    from_floats.compress_rows(x.data(), 0, rows);
    EXPECT_EQ(two_blocks.entries(), one_block.entries());
    for (std::size_t r0 : {0u, 20u}) {
      ASSERT_EQ(two_blocks.block_end(r0), r0 == 0 ? 20u : rows);
      for (std::size_t q = 0; q < (cols + 1) / 2; ++q) {
        std::size_t want = 0;
        for (std::size_t r = r0; r < two_blocks.block_end(r0); ++r) {
          const std::uint8_t a = bytes[r * cols + 2 * q], b = 2 * q + 1 < cols ? bytes[r * cols + 2 * q + 1] : 0;
          if (!(a | b)) continue;
          ASSERT_LT(want, two_blocks.column_pair_count(r0, q));
          EXPECT_EQ(two_blocks.column_pair_rows(r0, q)[want], r - r0);  // counted from the block's first row
          EXPECT_EQ(two_blocks.column_pair_value(r0, q)[2 * want], float(a) * (1.0f / 255.0f));
          EXPECT_EQ(two_blocks.column_pair_value(r0, q)[2 * want + 1], float(b) * (1.0f / 255.0f));
          ++want;
        }
        EXPECT_EQ(two_blocks.column_pair_count(r0, q), want) << "block " << r0 << " pair " << q;
      }
    }
    Tensor<float> want({rows, M}), got({rows, M}, 99.0f), got_one({rows, M}), got_floats({rows, M});
    sparse_affine_rows(by_rows, 0, rows, W.data(), bias.data(), M, want.data());
    sparse_affine_rows(two_blocks, 0, 20, W.data(), bias.data(), M, got.data());
    sparse_affine_rows(two_blocks, 20, rows, W.data(), bias.data(), M, got.data());
    sparse_affine_rows(one_block, 0, rows, W.data(), bias.data(), M, got_one.data());
    sparse_affine_rows(from_floats, 0, rows, W.data(), bias.data(), M, got_floats.data());
    EXPECT_EQ(got, want) << "M " << M;
    EXPECT_EQ(got_one, want) << "M " << M;
    EXPECT_EQ(got_floats, want) << "M " << M;
    from_floats.split_column_pairs();  // both values first, then each column's alone
    ASSERT_TRUE(from_floats.split());
    for (std::size_t q = 0; q < (cols + 1) / 2; ++q) {
      const std::size_t n = from_floats.column_pair_count(0, q), both = from_floats.column_pair_both(0, q),
                        first = from_floats.column_pair_first_only(0, q);
      ASSERT_LE(both + first, n);
      const float* v = from_floats.column_pair_value(0, q);
      for (std::size_t u = 0; u < n; ++u) {
        EXPECT_EQ(v[2 * u] != 0.0f, u < both + first) << q << " " << u;
        EXPECT_EQ(v[2 * u + 1] != 0.0f, u < both || u >= both + first) << q << " " << u;
      }
    }
    Tensor<float> got_split({rows, M});
    sparse_affine_rows(from_floats, 0, rows, W.data(), bias.data(), M, got_split.data());
    EXPECT_EQ(got_split, want) << "M " << M;
    Tensor<float> dW_split({cols, M});
    EXPECT_THROW(sparse_weight_grad(from_floats, 0, cols, dout.data(), M, dW_split.data()), std::invalid_argument);
    EXPECT_THROW(from_floats.compress_rows(x.data(), 0, rows), std::logic_error);  // refilled without reset()
    SparseRows<float> half;  // rows [20, 37) never filled: a product over all of dW refuses it
    half.reset(rows, cols, SparseLayout::Columns);
    half.compress_rows(x.data(), 0, 20);
    EXPECT_THROW(sparse_weight_grad(half, 0, cols, dout.data(), M, dW_split.data()), std::logic_error);
    EXPECT_THROW(half.entries(), std::logic_error);
    EXPECT_THROW(sparse_affine_rows(two_blocks, 0, 10, W.data(), bias.data(), M, got.data()), std::invalid_argument);
    Tensor<float> tail({rows - 20, M});  // the second block alone, as a slice of a kept set
    sparse_affine_rows(two_blocks, 0, rows - 20, W.data(), bias.data(), M, tail.data(), 20);
    for (std::size_t i = 0; i < tail.size(); ++i) ASSERT_EQ(tail[i], want[20 * M + i]) << "M " << M << " " << i;
    Tensor<float> dW_want({cols, M}), dW_got({cols, M}, 99.0f), dW_one({cols, M}, 99.0f);
    sparse_weight_grad(by_rows, 0, cols, dout.data(), M, dW_want.data());
    sparse_weight_grad(two_blocks, 0, 20, dout.data(), M, dW_got.data());  // two ranges, as two threads
    sparse_weight_grad(two_blocks, 20, cols, dout.data(), M, dW_got.data());
    sparse_weight_grad(one_block, 0, cols, dout.data(), M, dW_one.data());
    EXPECT_EQ(dW_got, dW_want) << "M " << M;
    EXPECT_EQ(dW_one, dW_want) << "M " << M;
    EXPECT_THROW(sparse_weight_grad(two_blocks, 3, cols, dout.data(), M, dW_got.data()), std::invalid_argument);
  }
}

// NaN is not zero: it must reach the output as it would through the GEMM.
TEST(SparseRows, KeepsNaN) {
  RestoreKernels restore;
  for (const auto& k : kernel_sets()) {
    set_sparse_kernels(k);
    Tensor<float> x({1, 20});
    x[17] = std::numeric_limits<float>::quiet_NaN();
    SparseRows<float> s;
    s.reset(1, 20);
    ASSERT_EQ(s.compress_rows(x.data(), 0, 1), 1u) << k;
    EXPECT_EQ(s.index(0)[0], 17u);
    Tensor<float> W({20, 3}, 1.0f), out({1, 3});
    sparse_affine_rows(s, 0, 1, W.data(), static_cast<const float*>(nullptr), 3, out.data());
    EXPECT_TRUE(std::isnan(out[0])) << k;
  }
}

// x W + b by hand: rows [0 2 0], [1 0 -1]; W = [[1 2], [3 4], [5 6]]; b = [0.5 -1].
TEST(SparseAffine, HandComputed) {
  auto x = Tensor<double>::matrix({{0, 2, 0}, {1, 0, -1}});
  auto W = Tensor<double>::matrix({{1, 2}, {3, 4}, {5, 6}});
  auto b = Tensor<double>::from({0.5, -1});
  SparseRows<double> s;
  s.reset(2, 3);
  s.compress_rows(x.data(), 0, 2);
  Tensor<double> out({2, 2});
  sparse_affine_rows(s, 0, 2, W.data(), b.data(), 2, out.data());
  EXPECT_EQ(out, Tensor<double>::matrix({{6.5, 7}, {-3.5, -5}}));
  // dW = x^T dout with dout = [[1 -1], [2 0]]: rows k of dW = sum_r x[r,k] dout[r,:]
  auto dout = Tensor<double>::matrix({{1, -1}, {2, 0}});
  Tensor<double> dW({3, 2}, 99.0);  // garbage that must be overwritten
  sparse_weight_grad(s, 0, 3, dout.data(), 2, dW.data());
  EXPECT_EQ(dW, Tensor<double>::matrix({{2, 0}, {2, -2}, {-2, 0}}));
}

// Integer data: every partial sum is an exact float, so any summation order gives the same bits
// as the naive triple loop. Widths cover 1..8 vectors, the masked tails and two column blocks.
TEST(SparseAffine, EqualsDenseProductExactlyOnIntegers) {
  RestoreKernels restore;
  const std::size_t N = 9, D = 37;
  auto x = sparse_matrix<float>(N, D, 0.3, true, 1);
  for (const auto& k : kernel_sets()) {
    set_sparse_kernels(k);
    for (std::size_t M : {1, 2, 7, 8, 9, 15, 16, 17, 31, 50, 64, 65, 100, 128, 129, 200}) {
      auto W = dense_matrix<float>(D, M, true, 2 + M);
      auto b = dense_matrix<float>(1, M, true, 3 + M);
      auto want = matmul_naive(x, W);
      for (std::size_t r = 0; r < N; ++r)
        for (std::size_t m = 0; m < M; ++m) want(r, m) += b[m];
      SparseRows<float> s;
      s.reset(N, D);
      s.compress_rows(x.data(), 0, 4);  // two ranges, as two threads would fill them
      s.compress_rows(x.data(), 4, N);
      Tensor<float> out({N, M});
      sparse_affine_rows(s, 0, N, W.data(), b.data(), M, out.data());
      EXPECT_EQ(out, want) << k << " M=" << M;

      auto dout = dense_matrix<float>(N, M, true, 4 + M);
      Tensor<float> xt({D, N});
      for (std::size_t r = 0; r < N; ++r)
        for (std::size_t c = 0; c < D; ++c) xt(c, r) = x(r, c);
      Tensor<float> dW({D, M}, -7.0f);
      sparse_weight_grad(s, 0, D, dout.data(), M, dW.data());
      EXPECT_EQ(dW, matmul_naive(xt, dout)) << k << " M=" << M;
    }
  }
}

// Real-valued data: agrees with a double-precision reference to float rounding, and the vector
// kernels agree with the plain loops to rounding (they fuse multiply and add).
TEST(SparseAffine, MatchesDoubleReferenceOnRealValues) {
  RestoreKernels restore;
  const std::size_t N = 20, D = 300, M = 50;
  auto x = sparse_matrix<float>(N, D, 0.2, false, 5);
  auto W = dense_matrix<float>(D, M, false, 6);
  auto dout = dense_matrix<float>(N, M, false, 7);
  auto want = matmul_naive(x.cast<double>(), W.cast<double>());
  Tensor<double> xt({D, N});
  for (std::size_t r = 0; r < N; ++r)
    for (std::size_t c = 0; c < D; ++c) xt(c, r) = x(r, c);
  auto want_dW = matmul_naive(xt, dout.cast<double>());
  for (const auto& k : kernel_sets()) {
    set_sparse_kernels(k);
    SparseRows<float> s;
    s.reset(N, D);
    s.compress_rows(x.data(), 0, N);
    Tensor<float> out({N, M}), dW({D, M});
    sparse_affine_rows(s, 0, N, W.data(), static_cast<const float*>(nullptr), M, out.data());
    sparse_weight_grad(s, 0, D, dout.data(), M, dW.data());
    for (std::size_t i = 0; i < out.size(); ++i) EXPECT_NEAR(out[i], want[i], 2e-5) << k << " at " << i;
    for (std::size_t i = 0; i < dW.size(); ++i) EXPECT_NEAR(dW[i], want_dW[i], 2e-5) << k << " at " << i;
  }
}

// Splitting dW by rows [k0, k1) (as threads do) changes nothing, bit for bit; rows no entry
// touches are zero.
TEST(SparseWeightGrad, SplitRangesGiveTheSameBits) {
  const std::size_t N = 30, D = 101, M = 50;
  auto x = sparse_matrix<float>(N, D, 0.15, false, 8);
  for (std::size_t r = 0; r < N; ++r) x(r, 0) = 0;  // column 0 empty
  auto dout = dense_matrix<float>(N, M, false, 9);
  SparseRows<float> s;
  s.reset(N, D);
  s.compress_rows(x.data(), 0, N);
  Tensor<float> whole({D, M}), parts({D, M}, 5.0f);
  sparse_weight_grad(s, 0, D, dout.data(), M, whole.data());
  for (std::size_t k0 : {0, 13, 50, 51}) {
    std::size_t k1 = k0 == 0 ? 13 : k0 == 13 ? 50 : k0 == 50 ? 51 : D;
    sparse_weight_grad(s, k0, k1, dout.data(), M, parts.data());
  }
  EXPECT_EQ(parts, whole);
  for (std::size_t m = 0; m < M; ++m) EXPECT_EQ(whole(0, m), 0.0f);
}

TEST(SparseKernels, UnknownNameThrows) {
  EXPECT_THROW(set_sparse_kernels("avx9000"), std::invalid_argument);
  EXPECT_TRUE(set_sparse_kernels("plain"));
  EXPECT_EQ(sparse_kernels(), "plain");
  set_sparse_kernels("best");
}

// The Tiles layout's products against double sums, on shapes that are no multiple of the tiles
// (77 rows: a partial block; 70 columns: a partial step; 37 outputs: an odd number of column
// tiles): the bf16 parts of each float add up to it exactly, so the error is the float
// accumulation's, a few units of 2^-24 of the sum of |terms|. Then the misuses it refuses.
TEST(SparseRows, TilesLayoutProductsAreFloatAccurate) {
  if (!set_sparse_kernels("amx")) GTEST_SKIP() << "no AMX on this CPU: the Tiles layout is never used";
  RestoreKernels restore;
  Rng rng(21);
  const std::size_t rows = 77, cols = 70, M = 37;
  LayoutCase c = layout_case(rng, rows, cols, M);
  const float scale = 1.0f / 255.0f;
  SparseRows<float> xs;
  xs.reset(rows, cols, SparseLayout::Tiles);
  ASSERT_TRUE(xs.tiles());
  xs.compress_bytes(c.bytes.data(), cols, nullptr, 0, 64, rows, scale);  // (ranges in any order)
  xs.compress_bytes(c.bytes.data(), cols, nullptr, 0, 0, 64, scale);
  TileOperand W, dout;
  W.pack(c.W.data(), cols, M);
  dout.pack(c.dout.data(), rows, M);
  std::vector<float> out(rows * M), dW(cols * M);
  tiles_affine(xs, 0, 32, W, c.bias.data(), out.data());
  tiles_affine(xs, 32, rows, W, c.bias.data(), out.data());
  tiles_weight_grad(xs, 32, cols, dout, dW.data());
  tiles_weight_grad(xs, 0, 32, dout, dW.data());
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t m = 0; m < M; ++m) {
      double sum = c.bias[m], mag = std::fabs(c.bias[m]);
      for (std::size_t k = 0; k < cols; ++k) {
        const double term = double(c.bytes[r * cols + k]) / 255.0 * c.W[k * M + m];
        sum += term;
        mag += std::fabs(term);
      }
      ASSERT_NEAR(out[r * M + m], sum, 8 * std::ldexp(mag, -24) + 1e-30) << r << " " << m;
    }
  for (std::size_t k = 0; k < cols; ++k)
    for (std::size_t m = 0; m < M; ++m) {
      double sum = 0, mag = 0;
      for (std::size_t r = 0; r < rows; ++r) {
        const double term = double(c.bytes[r * cols + k]) / 255.0 * c.dout[r * M + m];
        sum += term;
        mag += std::fabs(term);
      }
      ASSERT_NEAR(dW[k * M + m], sum, 8 * std::ldexp(mag, -24) + 1e-30) << k << " " << m;
    }
  EXPECT_THROW(xs.compress_bytes(c.bytes.data(), cols, nullptr, 0, 5, 40, scale), std::invalid_argument);
  EXPECT_THROW(xs.compress_rows(c.x.data(), 0, 32), std::logic_error);
  EXPECT_THROW(sparse_affine_rows(xs, 0, 32, c.W.data(), c.bias.data(), M, out.data()), std::logic_error);
  EXPECT_THROW(tiles_affine(xs, 3, 32, W, nullptr, out.data()), std::invalid_argument);
  SparseRows<float> eval;
  eval.reset(rows, cols, SparseLayout::Tiles, /*transposed=*/false);
  eval.compress_bytes(c.bytes.data(), cols, nullptr, 0, 0, rows, scale);
  EXPECT_THROW(tiles_weight_grad(eval, 0, 32, dout, dW.data()), std::invalid_argument);
  SparseRows<double> wrong;
  EXPECT_THROW(wrong.reset(rows, cols, SparseLayout::Tiles), std::invalid_argument);
}
