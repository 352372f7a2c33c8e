// Chapter 6's experiments in their quick versions on the real MNIST split: each must show the
// book's qualitative result and leave its CSV (and, with gnuplot, PNG) files. The bounds are the
// measured quick-run values (seed 0) with room for BLAS rounding, not timing.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <numeric>

#include "dlfs/data/mnist.hpp"
#include "dlfs/io/plot.hpp"
#include "dlfs/linalg.hpp"
#include "dlfs/train/experiments.hpp"
#include "integration/cli_run.hpp"

using namespace dlfs;
namespace fs = std::filesystem;

namespace {

const DataSplit* mnist() {
  static std::unique_ptr<DataSplit> data = [] {
    std::unique_ptr<DataSplit> d;
    if (dlfs_test::have_mnist()) d = std::make_unique<DataSplit>(load_dataset("mnist", DLFS_TEST_DATA_DIR));
    return d;
  }();
  return data.get();
}

// The experiments train small nets (batches of 100-128 through 100-unit layers), where one thread
// is fastest and a shared CI machine cannot make worker threads wait on each other.
class OneThread {
 public:
  OneThread() : saved_(num_threads()) { set_num_threads(1); }
  ~OneThread() { set_num_threads(saved_); }

 private:
  int saved_;
};

#define REQUIRE_MNIST()                                                             \
  const OneThread one_thread;                                                       \
  const DataSplit* data = mnist();                                                  \
  if (!data) GTEST_SKIP() << "no MNIST folder in " DLFS_TEST_DATA_DIR " (scripts/fetch_data.sh)"

ExperimentOptions quick(const std::string& name) {
  ExperimentOptions o;
  o.quick = true;
  fs::path p = fs::temp_directory_path() / ("dlfs_exp_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  o.out_dir = p.string();
  return o;
}

// Every expected file is listed in out.files, exists and is non-empty; PNGs only with gnuplot.
void expect_files(const ExperimentOutput& out, const ExperimentOptions& o, const std::vector<std::string>& names) {
  for (const auto& name : names) {
    const bool png = name.size() > 4 && name.substr(name.size() - 4) == ".png";
    if (png && !gnuplot_available()) continue;
    const std::string path = (fs::path(o.out_dir) / name).string();
    ASSERT_TRUE(fs::exists(path)) << path;
    EXPECT_GT(fs::file_size(path), png ? 5000u : 100u) << path;
    EXPECT_NE(std::find(out.files.begin(), out.files.end(), path), out.files.end()) << path;
  }
  EXPECT_FALSE(out.table.empty());
  fs::remove_all(o.out_dir);
}

const OptimizerPath& path_of(const OptimizerNaiveResult& r, const std::string& name) {
  for (const auto& p : r.paths)
    if (p.name == name) return p;
  throw std::out_of_range(name);
}

}  // namespace

// optimizer_compare_naive.py: SGD's path is known in closed form; all four approach (0, 0).
TEST(Experiments, OptimizerNaive) {
  const ExperimentOptions o = quick("naive");
  const OptimizerNaiveResult r = run_optimizer_naive(o);
  ASSERT_EQ(r.paths.size(), 4u);
  for (const auto& p : r.paths) {
    ASSERT_EQ(p.x.size(), 31u) << p.name;
    EXPECT_EQ(p.x.front(), -7.0);
    EXPECT_EQ(p.y.front(), 2.0);
  }
  // SGD, lr 0.95: x <- x - 0.95 * x/10 = 0.905 x, y <- y - 0.95 * 2y = -0.9 y.
  const OptimizerPath& sgd = path_of(r, "SGD");
  EXPECT_NEAR(sgd.x.back(), -7.0 * std::pow(0.905, 30), 1e-12);  // -0.3504
  EXPECT_NEAR(sgd.y.back(), 2.0 * std::pow(-0.9, 30), 1e-12);    // 0.0848
  EXPECT_NEAR(sgd.y[1], -1.8, 1e-15);                            // the zigzag across the valley
  // AdaGrad's first step is lr * sign(g) in each coordinate: (-7 + 1.5, 2 - 1.5).
  EXPECT_NEAR(path_of(r, "AdaGrad").x[1], -5.5, 1e-6);
  EXPECT_NEAR(path_of(r, "AdaGrad").y[1], 0.5, 1e-6);
  // Adam's first step is lr in each coordinate too (bias-corrected m / sqrt(v) = sign(g)).
  // (The 1e-7 in the denominator shortens the step by 0.3 * 1e-7 / sqrt(v), about 1.4e-6 here.)
  EXPECT_NEAR(path_of(r, "Adam").x[1], -6.7, 1e-5);
  EXPECT_NEAR(path_of(r, "Adam").y[1], 1.7, 1e-5);
  // After 30 updates (measured): SGD 0.360, Momentum 0.901, AdaGrad 0.120, Adam 0.346 from (0, 0),
  // all far inside the start's distance of 7.3.
  EXPECT_LT(std::hypot(sgd.x.back(), sgd.y.back()), 0.37);
  EXPECT_LT(std::hypot(path_of(r, "Adam").x.back(), path_of(r, "Adam").y.back()), 0.36);
  EXPECT_LT(std::hypot(path_of(r, "AdaGrad").x.back(), path_of(r, "AdaGrad").y.back()), 0.13);
  EXPECT_LT(std::hypot(path_of(r, "Momentum").x.back(), path_of(r, "Momentum").y.back()), 0.95);
  expect_files(r, o, {"optimizer_naive.png", "optimizer_naive.csv"});
}

// optimizer_compare_mnist.py: SGD is by far the slowest; AdaGrad and Adam the fastest.
TEST(Experiments, OptimizerMnist) {
  REQUIRE_MNIST();
  const ExperimentOptions o = quick("opt_mnist");
  const LossCurvesResult r = run_optimizer_mnist(*data, o);
  ASSERT_EQ(r.labels, (std::vector<std::string>{"SGD", "Momentum", "AdaGrad", "Adam"}));
  for (const auto& l : r.loss) ASSERT_EQ(l.size(), 300u);
  // All start near ln 10 = 2.30 (He init gives somewhat larger scores).
  for (const auto& l : r.loss) EXPECT_NEAR(l.front(), 2.35, 0.2);
  // Measured (mean of the last 100): SGD 0.64, Momentum 0.19, AdaGrad 0.10, Adam 0.097.
  EXPECT_GT(r.final_loss[0], 2 * r.final_loss[1]);
  EXPECT_GT(r.final_loss[1], r.final_loss[2]);
  EXPECT_GT(r.final_loss[1], r.final_loss[3]);
  EXPECT_LT(r.final_loss[3], 0.2);
  EXPECT_GT(r.test_acc[3], 0.9);
  EXPECT_GT(r.test_acc[3], r.test_acc[0]);
  expect_files(r, o, {"optimizer_mnist.png", "optimizer_mnist.csv"});
}

// weight_init_activation_histogram.py: the book's figures 6-10 to 6-14 as numbers.
TEST(Experiments, WeightInitHistogram) {
  const ExperimentOptions o = quick("hist");
  const WeightInitHistogramResult r = run_weight_init_histogram(o);
  ASSERT_EQ(r.settings.size(), 6u);
  auto find = [&](const std::string& label) -> const ActivationHistograms& {
    for (const auto& s : r.settings)
      if (s.label == label) return s;
    throw std::out_of_range(label);
  };
  for (const auto& s : r.settings) {
    ASSERT_EQ(s.counts.size(), 5u);
    for (const auto& c : s.counts) ASSERT_EQ(c.size(), 30u);
    if (s.activation == "sigmoid") {  // every sigmoid output lies in (0, 1): 1,000 x 100 counted
      for (const auto& c : s.counts) EXPECT_EQ(std::accumulate(c.begin(), c.end(), std::size_t(0)), 100000u);
    }
  }
  // std 1 with sigmoid: the activations pile up at 0 and 1 (vanishing gradients).
  for (const auto& c : find("std=1, sigmoid").counts) EXPECT_GT(c.front() + c.back(), 40000u);
  // std 0.01 with sigmoid: everything near 0.5 (no expressive power). Measured std 0.012.
  const auto& small = find("std=0.01, sigmoid");
  EXPECT_NEAR(small.mean[4], 0.5, 0.01);
  EXPECT_LT(small.stddev[4], 0.02);
  EXPECT_GT(small.counts[4][13] + small.counts[4][14] + small.counts[4][15] + small.counts[4][16], 99900u);  // (0.43, 0.57)
  // Xavier with sigmoid: spread out in every layer (measured std 0.21 .. 0.11).
  for (double s : find("Xavier, sigmoid").stddev) EXPECT_GT(s, 0.09);
  // With ReLU, std 0.01 collapses to 0 and Xavier shrinks layer by layer, while He keeps the
  // spread (measured std at layer 1 / layer 5: 0.059/0.0000, 0.59/0.11, 0.83/0.60).
  EXPECT_LT(find("std=0.01, ReLU").stddev[4], 1e-3);
  const auto& xr = find("Xavier, ReLU");
  EXPECT_LT(xr.stddev[4], 0.25 * xr.stddev[0]);
  const auto& he = find("He, ReLU");
  EXPECT_GT(he.stddev[4], 0.5 * he.stddev[0]);
  EXPECT_GT(he.stddev[4], 0.4);
  expect_files(r, o, {"weight_init_histogram.png", "weight_init_histogram.csv"});
}

// weight_init_compare.py: std 0.01 does not learn in a 5-layer ReLU net; He learns fastest.
TEST(Experiments, WeightInitMnist) {
  REQUIRE_MNIST();
  const ExperimentOptions o = quick("wi_mnist");
  const LossCurvesResult r = run_weight_init_mnist(*data, o);
  ASSERT_EQ(r.labels, (std::vector<std::string>{"std=0.01", "Xavier", "He"}));
  // Measured: std=0.01 2.302, Xavier 2.02, He 0.64.
  EXPECT_NEAR(r.final_loss[0], std::log(10.0), 0.02);
  EXPECT_LT(r.final_loss[1], r.final_loss[0] - 0.1);
  EXPECT_LT(r.final_loss[2], r.final_loss[1] - 0.5);
  EXPECT_LT(r.test_acc[0], 0.2);
  EXPECT_GT(r.test_acc[2], 0.8);
  expect_files(r, o, {"weight_init_mnist.png", "weight_init_mnist.csv"});
}

// The seeds' weight scales. std 0.01 learns; with std 10000 the ch.4 sigmoid net saturates and
// stays at chance. (The ch.5 ReLU net still learns a little with std 10000: its hidden outputs
// grow with W1, so SGD's steps on W2 grow with them.)
TEST(Experiments, WeightScale) {
  REQUIRE_MNIST();
  const ExperimentOptions o = quick("scale");
  const WeightScaleResult r = run_weight_scale(*data, o);
  ASSERT_EQ(r.runs.size(), 6u);
  // Measured (600 iterations): ReLU 0.0001 / 0.01 / 10000: test 0.89 / 0.91 / 0.77; sigmoid
  // 0.36 / 0.80 / 0.11.
  EXPECT_GT(r.run("two-layer", 0.01).history.final_test_acc(), 0.85);
  EXPECT_GT(r.run("two-layer", 0.0001).history.final_test_acc(), 0.8);
  EXPECT_GT(r.run("two-layer-sigmoid", 0.01).history.final_test_acc(), 0.7);
  EXPECT_LT(r.run("two-layer-sigmoid", 10000).history.final_train_acc(), 0.2);
  EXPECT_LT(r.run("two-layer-sigmoid", 10000).history.final_test_acc(), 0.2);
  // Huge weights: the loss stays far above std 0.01's (measured 3.3 vs 0.30 for ReLU).
  for (const char* net : {"two-layer", "two-layer-sigmoid"}) {
    const auto& big = r.run(net, 10000).history.train_loss;
    const auto& good = r.run(net, 0.01).history.train_loss;
    EXPECT_GT(big.back() + big[big.size() - 2], 4 * (good.back() + good[good.size() - 2])) << net;
  }
  EXPECT_THROW(r.run("two-layer", 1.0), std::out_of_range);
  expect_files(r, o, {"weight_scale.png", "weight_scale.csv"});
}

// batch_norm_test.py and the Keras version: batch norm learns where the plain net cannot.
TEST(Experiments, BatchNorm) {
  REQUIRE_MNIST();
  const ExperimentOptions o = quick("bn");
  const BatchNormResult r = run_batchnorm(*data, o);
  ASSERT_TRUE(r.ran_book && r.ran_keras);
  const BatchNormBookResult& b = r.book;
  ASSERT_EQ(b.weight_scales.size(), 3u);
  EXPECT_DOUBLE_EQ(b.weight_scales[0], 1.0);
  EXPECT_NEAR(b.weight_scales[1], 0.01, 1e-15);
  EXPECT_NEAR(b.weight_scales[2], 1e-4, 1e-18);
  for (std::size_t s = 0; s < 3; ++s) {
    ASSERT_EQ(b.bn_train_acc[s].size(), b.epochs);
    ASSERT_EQ(b.plain_train_acc[s].size(), b.epochs);
  }
  // Measured final training accuracy without / with BN: W 1: 0.10 / 0.30, 0.01: 0.12 / 0.99,
  // 0.0001: 0.12 / 0.42. Without BN the small scales never leave chance.
  for (std::size_t s = 1; s < 3; ++s) {
    EXPECT_LT(b.plain_train_acc[s].back(), 0.2) << b.weight_scales[s];
    EXPECT_GT(b.bn_train_acc[s].back(), b.plain_train_acc[s].back() + 0.2) << b.weight_scales[s];
  }
  EXPECT_GT(b.bn_train_acc[1].back(), 0.9);
  // Keras version (8 epochs): measured test accuracy 0.15 without, 0.83 with.
  EXPECT_EQ(r.keras.bn.test_acc.size(), 8u);
  EXPECT_GT(r.keras.bn.final_test_acc(), 0.75);
  EXPECT_GT(r.keras.bn.final_test_acc(), r.keras.plain.final_test_acc() + 0.3);
  expect_files(r, o, {"batchnorm_book.png", "batchnorm_book.csv", "batchnorm_keras.png", "batchnorm_keras.csv"});

  ExperimentOptions bad = o;
  bad.variant = "pytorch";
  EXPECT_THROW(run_batchnorm(*data, bad), std::invalid_argument);
}

// overfit_weight_decay.py: the plain 7-layer net learns 300 digits by heart; weight decay narrows
// the train/test gap. Measured: plain 0.993 / 0.774 (gap 0.22), lambda 0.1 0.897 / 0.748 (0.15).
TEST(Experiments, OverfitWeightDecay) {
  REQUIRE_MNIST();
  const ExperimentOptions o = quick("wd");
  const OverfitResult r = run_overfit_weight_decay(*data, o);
  ASSERT_EQ(r.plain.train_acc.size(), 100u);
  EXPECT_GT(r.plain.final_train_acc(), 0.95);
  EXPECT_GT(r.plain_gap(), 0.15);
  EXPECT_LT(r.regularised_gap(), r.plain_gap() - 0.04);
  EXPECT_LT(r.regularised.final_train_acc(), r.plain.final_train_acc());
  expect_files(r, o, {"overfit_weight_decay.png", "overfit_weight_decay.csv"});
}

// overfit_dropout.py: dropout 0.2 narrows the gap too (and slows learning). Measured: dropout
// 0.400 / 0.329 (gap 0.07) against the plain run's 0.22.
TEST(Experiments, OverfitDropout) {
  REQUIRE_MNIST();
  const ExperimentOptions o = quick("dropout");
  const OverfitResult r = run_overfit_dropout(*data, o);
  EXPECT_GT(r.plain.final_train_acc(), 0.95);
  EXPECT_LT(r.regularised_gap(), r.plain_gap() - 0.08);
  EXPECT_GT(r.regularised.final_test_acc(), 0.2);  // it does learn
  expect_files(r, o, {"overfit_dropout.png", "overfit_dropout.csv"});
}

// hyperparameter_optimization.py: trials sorted best first, drawn from the book's ranges.
TEST(Experiments, HyperparameterSearch) {
  REQUIRE_MNIST();
  const ExperimentOptions o = quick("hyper");
  const HyperparameterSearchResult r = run_hyperparameter_search(*data, o);
  ASSERT_EQ(r.trials.size(), 10u);
  for (std::size_t k = 0; k < r.trials.size(); ++k) {
    const auto& t = r.trials[k];
    EXPECT_GE(t.lr, 1e-6);
    EXPECT_LT(t.lr, 1e-2);
    EXPECT_GE(t.weight_decay, 1e-8);
    EXPECT_LT(t.weight_decay, 1e-4);
    EXPECT_EQ(t.val_acc.size(), 25u);
    if (k) {
      EXPECT_GE(r.trials[k - 1].final_val_acc(), t.final_val_acc());
    }
  }
  // Measured: best 0.27 (lr 2.4e-3), worst 0.04 (lr 1.6e-5). Validation accuracies are multiples
  // of 1/100 (100 held-out digits).
  EXPECT_GT(r.trials.front().final_val_acc(), r.trials.back().final_val_acc() + 0.1);
  EXPECT_GT(r.trials.front().lr, 1e-3);
  const double v = r.trials.front().final_val_acc() * 100;
  EXPECT_NEAR(v, std::round(v), 1e-9);
  EXPECT_NE(r.table.find("Best-1(val acc:"), std::string::npos);
  expect_files(r, o, {"hyperparameter_search.png", "hyperparameter_search.csv"});
}

TEST(Experiments, RegistryAndErrors) {
  // Chapter 6's nine, in the book's order (later chapters may add more after them).
  const std::vector<std::string> ch6 = {"optimizer-naive", "optimizer-mnist", "weight-init-histogram",
                                        "weight-init-mnist", "weight-scale", "batchnorm",
                                        "overfit-weight-decay", "overfit-dropout", "hyperparameter-search"};
  ASSERT_GE(experiment_list().size(), ch6.size());
  for (std::size_t i = 0; i < ch6.size(); ++i) EXPECT_EQ(experiment_list()[i].name, ch6[i]);
  ExperimentOptions o;
  try {
    run_experiment("optimiser-naive", nullptr, o);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("unknown experiment 'optimiser-naive'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("hyperparameter-search"), std::string::npos);
  }
  EXPECT_THROW(run_experiment("batchnorm", nullptr, o), std::invalid_argument);  // needs MNIST
  o.variant = "book";
  EXPECT_THROW(run_experiment("optimizer-naive", nullptr, o), std::invalid_argument);
  o.variant.clear();
  const ExperimentOutput out = run_experiment("optimizer-naive", nullptr, o);  // no out_dir: no files
  EXPECT_TRUE(out.files.empty());
  EXPECT_NE(out.table.find("AdaGrad"), std::string::npos);
}

TEST(Experiments, Cli) {
  using dlfs_test::run_dlfs;
  const std::string dir = (fs::temp_directory_path() / ("dlfs_exp_cli_" + std::to_string(::getpid()))).string();
  auto list = run_dlfs("experiment --list", dir);
  EXPECT_EQ(list.status, 0);
  for (const auto& e : experiment_list()) EXPECT_NE(list.out.find(e.name), std::string::npos) << e.name;
  EXPECT_EQ(run_dlfs("experiment list", dir).out, list.out);

  auto bad = run_dlfs("experiment optimiser-naive", dir);
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("unknown name 'optimiser-naive'"), std::string::npos) << bad.err;
  auto variant = run_dlfs("experiment optimizer-naive --variant book", dir);
  EXPECT_NE(variant.status, 0);
  EXPECT_NE(variant.err.find("--variant"), std::string::npos) << variant.err;

  auto naive = run_dlfs("experiment optimizer-naive --quick --out '" + dir + "/naive'", dir);
  EXPECT_EQ(naive.status, 0) << naive.err;
  EXPECT_NE(naive.out.find("SGD        0.95  -0.3504  0.0848"), std::string::npos) << naive.out;
  EXPECT_TRUE(fs::exists(dir + "/naive/optimizer_naive.csv"));
  fs::remove_all(dir);
}
