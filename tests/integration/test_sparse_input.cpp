// Sparse input from the dataset's bytes (count_nonzero, sparse_batch_rows, LayerNet::predict_sparse
// / gradient_sparse): the same numbers as the float batch through predict() and gradient(), bit
// for bit, and the trainer's choice between the two paths follows each batch's density.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "dlfs/data/dataset.hpp"
#include "dlfs/linalg.hpp"
#include "dlfs/nets/two_layer_net.hpp"
#include "dlfs/optim/optimizer.hpp"
#include "dlfs/rng.hpp"
#include "dlfs/train/trainer.hpp"

using namespace dlfs;

namespace {

// n images of 7x8 bytes, about `density` of them non-zero (bytes 1..255), labels 0..9.
Dataset bytes_dataset(std::size_t n, double density, std::uint64_t seed) {
  Rng rng(seed);
  Dataset d;
  d.images = Tensor<std::uint8_t>({n, 7, 8});
  for (auto& b : d.images)
    if (rng.uniform() < density) b = static_cast<std::uint8_t>(1 + rng.randint(255));
  for (std::size_t i = 0; i < n; ++i) d.labels.push_back(static_cast<std::uint8_t>(rng.randint(10)));
  return d;
}

// The bit-for-bit tests below hold for the sparse kernels; where the AMX kernels are in use, a net's
// first layer would take the Tiles layout instead (its own test is at the end), so they run with
// the AVX-512 kernels.
struct NoTiles {
  NoTiles() {
    if (sparse_kernels() == "amx") set_sparse_kernels("avx512");
  }
  ~NoTiles() { set_sparse_kernels("best"); }
};

}  // namespace

TEST(SparseInput, CountsNonZeroBytes) {
  Dataset d = bytes_dataset(9, 0.3, 1);
  std::size_t naive = 0;
  for (std::size_t r = 2; r < 7; ++r)
    for (std::size_t p = 0; p < 56; ++p) naive += d.images[r * 56 + p] != 0;
  EXPECT_EQ(count_nonzero(d, nullptr, 2, 5), naive);
  const std::size_t idx[] = {4, 4, 0};
  std::size_t by_idx = 0;
  for (std::size_t r : idx)
    for (std::size_t p = 0; p < 56; ++p) by_idx += d.images[r * 56 + p] != 0;
  EXPECT_EQ(count_nonzero(d, idx, 0, 3), by_idx);
  const std::size_t bad[] = {9};
  EXPECT_THROW(count_nonzero(d, bad, 0, 1), std::out_of_range);
}

TEST(SparseInput, BatchRowsAreTheNonZerosOfTheFloatBatch) {
  Dataset d = bytes_dataset(20, 0.25, 2);
  const std::size_t idx[] = {3, 17, 3, 0, 11};
  Tensor<float> x, t, t2;
  gather_batch(d, idx, 5, true, x, t);
  SparseRows<float> from_floats, from_bytes;
  from_floats.reset(5, 56, SparseLayout::Rows);
  from_bytes.reset(5, 56, SparseLayout::Rows);
  from_floats.compress_rows(x.data(), 0, 5);
  sparse_batch_rows(d, idx, 0, from_bytes, 0, 2);  // two ranges, as two threads would fill them
  sparse_batch_rows(d, idx, 0, from_bytes, 2, 5);
  for (std::size_t r = 0; r < 5; ++r) {
    ASSERT_EQ(from_bytes.count(r), from_floats.count(r)) << r;
    for (std::size_t i = 0; i < from_bytes.count(r); ++i) {
      EXPECT_EQ(from_bytes.index(r)[i], from_floats.index(r)[i]);
      EXPECT_EQ(from_bytes.value(r)[i], from_floats.value(r)[i]);  // float(byte) * (1/255), same rounding
    }
  }
  gather_labels(d, idx, 0, 5, t2);
  EXPECT_EQ(t2.shape(), t.shape());
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(t2[i], t[i]);
  SparseRows<float> wrong;
  wrong.reset(5, 55);
  EXPECT_THROW(sparse_batch_rows(d, idx, 0, wrong, 0, 5), std::invalid_argument);
}

TEST(SparseInput, PredictAndGradientEqualTheFloatPath) {
  NoTiles no_tiles;
  Dataset d = bytes_dataset(40, 0.2, 3);
  const std::size_t idx[] = {1, 5, 9, 13, 17, 21, 25, 29, 33, 37, 2};
  const std::size_t n = std::size(idx);
  Tensor<float> x, t;
  gather_batch(d, idx, n, true, x, t);
  TwoLayerNet<float> dense(56, 7, 10, 0.5, 4), sparse(56, 7, 10, 0.5, 4);
  ASSERT_TRUE(sparse.sparse_input());
  auto fill = [&](SparseRows<float>& xs, std::size_t r0, std::size_t r1) { sparse_batch_rows(d, idx, 0, xs, r0, r1); };

  const Tensor<float>& y = dense.predict(x);
  const Tensor<float>& ys = sparse.predict_sparse(n, fill);
  ASSERT_EQ(ys.shape(), y.shape());
  for (std::size_t i = 0; i < y.size(); ++i) EXPECT_EQ(ys[i], y[i]) << i;

  const float l = dense.gradient(x, t), ls = sparse.gradient_sparse(n, fill, t);
  EXPECT_EQ(ls, l);
  EXPECT_GT(l, 0.5f);  // an untrained net on 10 classes: about ln 10
  auto pd = dense.params(), ps = sparse.params();
  for (std::size_t k = 0; k < pd.size(); ++k)
    for (std::size_t i = 0; i < pd[k]->grad.size(); ++i) ASSERT_EQ(ps[k]->grad[i], pd[k]->grad[i]) << pd[k]->name << i;
}

// Batches and kept sets larger than a block of the Columns layout (128 rows) with 1 and 2
// threads: every block is computed (the output of a fresh net starts unset, so a skipped block
// shows), through the caller's fill and through a set compressed once, whatever the layout.
TEST(SparseInput, LargeBatchesEqualTheFloatPathWithOneOrTwoThreads) {
  NoTiles no_tiles;
  const int saved = num_threads();
  Dataset d = bytes_dataset(700, 0.2, 9);
  const std::size_t n = 700, px = d.pixels();
  Tensor<float> x, t;
  gather_batch(d, nullptr, n, true, x, t);
  TwoLayerNet<float> dense(56, 7, 10, 0.5, 4);
  const Tensor<float> want = dense.predict(x);
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    TwoLayerNet<float> sparse(56, 7, 10, 0.5, 4);
    const Tensor<float>& y = sparse.predict_sparse(
        n, [&](SparseRows<float>& xs, std::size_t r0, std::size_t r1) { sparse_batch_rows(d, nullptr, 0, xs, r0, r1); });
    ASSERT_EQ(y.shape(), want.shape());
    for (std::size_t i = 0; i < want.size(); ++i) ASSERT_EQ(y[i], want[i]) << threads << " threads, " << i;
    SparseRows<float> kept;
    kept.reset(n, px, sparse.sparse_layout());
    for (std::size_t b = 0; b < n; b += 128) kept.compress_bytes(d.images.data(), px, nullptr, 0, b, std::min(n, b + 128), 1.0f / 255.0f);
    TwoLayerNet<float> fresh(56, 7, 10, 0.5, 4);
    const Tensor<float>& z = fresh.predict_sparse_rows(kept, 128, 512);  // blocks 1-4
    for (std::size_t i = 0; i < z.size(); ++i) ASSERT_EQ(z[i], want[128 * 10 + i]) << threads << " threads, " << i;
  }
  set_num_threads(saved);
}

TEST(SparseInput, TrainingTakesTheSparsePathOnlyForSparseBatches) {
  // A sparse and a dense dataset: the trained weights must equal those of a loop over
  // gradient() on float batches (same batches, same SGD), whichever path the trainer took.
  NoTiles no_tiles;
  for (double density : {0.15, 0.6}) {
    Dataset d = bytes_dataset(300, density, 5);
    TwoLayerNet<float> net(56, 9, 10, 0.1, 6), ref(56, 9, 10, 0.1, 6);
    TrainConfig cfg;
    cfg.iters = 20;
    cfg.mini_batch_size = 30;
    cfg.optimizer.name = "sgd";
    cfg.optimizer.lr = 0.1;
    cfg.verbose = false;
    cfg.seed = 7;
    Trainer<float> trainer(net, d, d, cfg);
    trainer.train();
    auto* first = dynamic_cast<Affine<float>*>(net.layers()[0].get());
    ASSERT_NE(first, nullptr);
    // The threshold is the layer's own: 0.35, or every density where the paired AVX2 kernels
    // beat the GEMM (the first layer of a net, on CPUs without AVX-512).
    EXPECT_EQ(first->used_sparse(), density <= first->sparse_max_density()) << density;
    if (!sparse_pairs_preferred<float>()) {
      EXPECT_EQ(first->used_sparse(), density < 0.35) << density;
    }
    Rng rng(cfg.seed);
    std::vector<std::size_t> idx;
    Tensor<float> x, t;
    auto sgd = make_optimizer<float>(cfg.optimizer);
    for (int it = 0; it < 20; ++it) {
      rng.choice(d.size(), 30, idx);
      gather_batch(d, idx.data(), idx.size(), true, x, t);
      ref.gradient(x, t);
      sgd->update(ref.params());
    }
    auto pn = net.params(), pr = ref.params();
    for (std::size_t k = 0; k < pn.size(); ++k)
      for (std::size_t i = 0; i < pn[k]->value.size(); ++i)
        ASSERT_EQ(pn[k]->value[i], pr[k]->value[i]) << "density " << density << " " << pn[k]->name << i;
    EXPECT_EQ(evaluate_accuracy(net, d), evaluate_accuracy(ref, d));
  }
}

// Where the CPU has AMX, a net's first layer multiplies byte batches as bf16 tiles (each float
// split in three parts): not the float path's bits, but as close to the exact sums, and the same
// numbers with 1 or 2 threads. 700 rows: blocks of 32 with a partial last one; a dense and a
// sparse set.
TEST(SparseInput, TilesLayoutIsCloseToTheFloatPathAndThreadIndependent) {
  if (!set_sparse_kernels("amx")) GTEST_SKIP() << "no AMX on this CPU: the Tiles layout is never used";
  const int saved = num_threads();
  for (double density : {0.2, 0.7}) {
    Dataset d = bytes_dataset(700, density, 9);
    const std::size_t n = 700;
    Tensor<float> x, t;
    gather_batch(d, nullptr, n, true, x, t);
    TwoLayerNet<float> dense(56, 7, 10, 0.5, 4);
    const Tensor<float> want = dense.predict(x);
    dense.gradient(x, t);
    std::vector<Tensor<float>> scores, grads;
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      TwoLayerNet<float> net(56, 7, 10, 0.5, 4);
      auto* first = dynamic_cast<Affine<float>*>(net.layers()[0].get());
      ASSERT_NE(first, nullptr);
      ASSERT_EQ(net.sparse_layout(), SparseLayout::Tiles);
      auto fill = [&](SparseRows<float>& xs, std::size_t r0, std::size_t r1) { sparse_batch_rows(d, nullptr, 0, xs, r0, r1); };
      scores.push_back(net.predict_sparse(n, fill));
      const Tensor<float>& y = scores.back();
      ASSERT_EQ(y.shape(), want.shape());
      for (std::size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(y[i], want[i], 2e-6f * (1 + std::fabs(want[i]))) << i;
      net.gradient_sparse(n, fill, t);
      auto pd = dense.params(), pn = net.params();
      for (std::size_t k = 0; k < pd.size(); ++k) {
        float scale = 0;
        for (float v : pd[k]->grad) scale = std::max(scale, std::fabs(v));
        ASSERT_GT(scale, 0.0f);
        for (std::size_t i = 0; i < pd[k]->grad.size(); ++i)
          ASSERT_NEAR(pn[k]->grad[i], pd[k]->grad[i], 1e-5f * scale) << pd[k]->name << i;
        grads.push_back(pn[k]->grad);
      }
      // An evaluation keeps no transpose: no backward may follow it.
      net.predict_sparse(n, fill);
      EXPECT_THROW(first->backward(scores.back()), std::logic_error);
    }
    for (std::size_t i = 0; i < want.size(); ++i) ASSERT_EQ(scores[0][i], scores[1][i]) << i;
    const std::size_t P = grads.size() / 2;
    for (std::size_t k = 0; k < P; ++k)
      for (std::size_t i = 0; i < grads[k].size(); ++i) ASSERT_EQ(grads[k][i], grads[P + k][i]) << k << " " << i;
  }
  set_num_threads(saved);
  set_sparse_kernels("best");
}

// misclassified() predicts as evaluate_accuracy does (from the bytes where the net takes them):
// every wrong row of the set, each with the class the byte path's scores give, so the grid of
// wrong digits agrees with the accuracy whatever the first layer's kernels.
TEST(SparseInput, MisclassifiedAgreesWithTheAccuracysPredictions) {
  for (double density : {0.2, 0.7}) {
    Dataset d = bytes_dataset(300, density, 11);
    TwoLayerNet<float> net(56, 9, 10, 0.5, 3);
    const std::size_t n = d.size();
    const Tensor<float> y = net.predict_sparse(
        n, [&](SparseRows<float>& xs, std::size_t r0, std::size_t r1) { sparse_batch_rows(d, nullptr, 0, xs, r0, r1); });
    std::vector<std::pair<std::size_t, int>> want;
    for (std::size_t i = 0; i < n; ++i) {
      const float* r = y.data() + i * 10;
      const int p = static_cast<int>(std::max_element(r, r + 10) - r);
      if (p != d.labels[i]) want.emplace_back(i, p);
    }
    ASSERT_GT(want.size(), 0u);
    EXPECT_EQ(misclassified(net, d, n), want) << density;
    EXPECT_DOUBLE_EQ(evaluate_accuracy(net, d), double(n - want.size()) / double(n)) << density;
    EXPECT_EQ(misclassified(net, d, 3).size(), std::min<std::size_t>(3, want.size()));
  }
}
