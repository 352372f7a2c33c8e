// Determinism of the seeds' run: for a fixed seed the trained weights are the same bytes run after
// run in one process, and the same with 1 or 2 threads (dlfs's threads split rows of products
// and sparse kernels so that every element is summed in the same order by whichever thread).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <tuple>

#include "dlfs/data/mnist.hpp"
#include "dlfs/linalg.hpp"
#include "dlfs/nets/two_layer_net.hpp"
#include "dlfs/nets/two_layer_net_ch4.hpp"
#include "dlfs/train/trainer.hpp"

using namespace dlfs;

namespace {

// 300 iterations of the seeds' run (TwoLayerNet 784-50-10, batch 100, SGD 0.1) on real MNIST, on
// `threads` threads; returns every parameter's bytes, in params() order.
std::vector<std::vector<unsigned char>> train_bytes(const DataSplit& data, int threads, std::uint64_t seed,
                                                    std::vector<double>* acc = nullptr) {
  const int saved = num_threads();
  set_num_threads(threads);
  TwoLayerNet<float> net(784, 50, 10, 0.01, seed);
  TrainConfig cfg;
  cfg.iters = 300;
  cfg.seed = seed;
  cfg.verbose = false;
  Trainer<float> trainer(net, data.train, data.test, cfg);
  const History& h = trainer.train();
  set_num_threads(saved);
  if (acc) *acc = h.test_acc;
  std::vector<std::vector<unsigned char>> out;
  for (Param<float>* p : net.params()) {
    std::vector<unsigned char> b(p->value.size() * sizeof(float));
    std::memcpy(b.data(), p->value.data(), b.size());
    out.push_back(std::move(b));
  }
  return out;
}

DataSplit mnist_or_skip() {
  const std::string dir = DLFS_TEST_DATA_DIR;
  if (!std::filesystem::exists(dir + "/mnist")) return {};
  return load_dataset("mnist", dir);
}

}  // namespace

TEST(Determinism, SameSeedSameBytesRunAfterRun) {
  DataSplit data = mnist_or_skip();
  if (data.train.size() == 0) GTEST_SKIP() << "no MNIST folder";
  std::vector<double> acc1, acc2;
  auto a = train_bytes(data, 1, 42, &acc1);
  auto b = train_bytes(data, 1, 42, &acc2);
  EXPECT_EQ(a, b);
  EXPECT_EQ(acc1, acc2);
  // ... and a different seed gives different weights (the check above can fail).
  EXPECT_NE(train_bytes(data, 1, 43), a);
  // The run learned something: the 3 evaluations (every 80 iterations, and at the end) improve.
  ASSERT_EQ(acc1.size(), 4u);
  EXPECT_GT(acc1.back(), 0.8);
}

TEST(Determinism, OneAndTwoThreadsGiveTheSameBytes) {
  DataSplit data = mnist_or_skip();
  if (data.train.size() == 0) GTEST_SKIP() << "no MNIST folder";
  EXPECT_EQ(train_bytes(data, 1, 7), train_bytes(data, 2, 7));
  EXPECT_EQ(train_bytes(data, 2, 7), train_bytes(data, 2, 7));
}

// Chapter 4's numerical-gradient training step gives the same bytes with 1 and 2 threads too.
TEST(Determinism, NumericalGradientStepIsThreadCountIndependent) {
  DataSplit data = mnist_or_skip();
  if (data.train.size() == 0) GTEST_SKIP() << "no MNIST folder";
  auto step = [&](int threads) {
    const int saved = num_threads();
    set_num_threads(threads);
    TwoLayerNetCh4<float> net(784, 50, 10, 0.01, 3);
    TrainConfig cfg;
    cfg.iters = 1;
    cfg.gradient = "numerical";
    cfg.verbose = false;
    cfg.seed = 3;
    Trainer<float> trainer(net, data.train, data.test, cfg);
    trainer.train_step();
    set_num_threads(saved);
    std::vector<Tensor<float>> v;
    for (auto* p : net.params()) v.push_back(p->value);
    return v;
  };
  EXPECT_EQ(step(1), step(2));
}

// Evaluation beside training (a copy of the weights evaluated by a second thread) records what
// evaluation in place records: the same accuracies at the same iterations, in order, the same
// epoch callbacks, and the same weights. 300 iterations of 8,000 digits are 3.75 epochs, so the
// last evaluation (after iteration 300) is not on an epoch boundary.
TEST(Determinism, BackgroundEvaluationRecordsWhatInPlaceEvaluationRecords) {
  DataSplit data = mnist_or_skip();
  if (data.train.size() == 0) GTEST_SKIP() << "no MNIST folder";
  const int saved = num_threads();
  set_num_threads(2);
  struct Run {
    History h;
    std::vector<std::tuple<std::size_t, double, double>> epochs;
    std::vector<float> W1;
    double final_train = 0, final_test = 0;
  };
  auto run = [&](bool background) {
    TwoLayerNet<float> net(784, 50, 10, 0.01, 5);
    TrainConfig cfg;
    cfg.iters = 300;
    cfg.seed = 5;
    cfg.verbose = false;
    cfg.evaluate_in_background = background;
    Run r;
    Callbacks cb;
    cb.on_epoch = [&](std::size_t e, double tr, double te) { r.epochs.emplace_back(e, tr, te); };
    Trainer<float> trainer(net, data.train, data.test, cfg, cb);
    r.h = trainer.train();
    r.W1.assign(net.params()[0]->value.begin(), net.params()[0]->value.end());
    // The trainer's evaluations read the sets compressed once (in the best layout here); the
    // plain evaluation of the final weights converts the bytes chunk by chunk: same accuracies.
    r.final_train = evaluate_accuracy(net, data.train);
    r.final_test = evaluate_accuracy(net, data.test);
    return r;
  };
  const Run in_place = run(false), beside = run(true);
  set_num_threads(saved);
  ASSERT_EQ(in_place.h.epoch_iter, (std::vector<std::size_t>{80, 160, 240, 300}));
  EXPECT_EQ(beside.h.epoch_iter, in_place.h.epoch_iter);
  EXPECT_EQ(beside.h.train_acc, in_place.h.train_acc);
  EXPECT_EQ(beside.h.test_acc, in_place.h.test_acc);
  EXPECT_EQ(beside.epochs, in_place.epochs);
  EXPECT_EQ(beside.W1, in_place.W1);
  EXPECT_GT(in_place.h.test_acc.back(), 0.8);  // it learnt: the accuracies compared are real ones
  EXPECT_EQ(in_place.h.train_acc.back(), in_place.final_train);
  EXPECT_EQ(in_place.h.test_acc.back(), in_place.final_test);
  EXPECT_EQ(beside.h.test_acc.back(), beside.final_test);
}
