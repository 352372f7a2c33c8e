// Chapter 6's experiments (the book's ch06/*.py scripts), each a function that runs the
// experiment, writes its PNG figures and CSV files to options.out_dir and returns a result the
// tests can assert on, plus the table `dlfs experiment NAME` prints.
//
// Every experiment has a full version (the book's settings, minutes at most on 2 cores) and a
// quick one (options.quick: fewer iterations, epochs, trials or scales; seconds) that still shows
// the qualitative result. Same seed, same numbers.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "dlfs/data/dataset.hpp"
#include "dlfs/train/history.hpp"

namespace dlfs {

struct ExperimentOptions {
  bool quick = false;
  std::string out_dir;      // where PNG and CSV files go; "" = write nothing
  std::uint64_t seed = 0;
  std::string variant;      // batchnorm: "book", "keras" or "" (both); ignored by the others
  bool verbose = false;     // one progress line per run/trial on stdout
};

// What every experiment returns besides its own numbers.
struct ExperimentOutput {
  std::string table;                // the summary dlfs prints, one row per setting
  std::vector<std::string> files;   // PNG and CSV files written (PNGs only when gnuplot is present)
  std::string notes;                // settings that differ from the book's script, and why
  double seconds = 0;
};

// 1. optimizer_compare_naive.py: 30 updates of SGD (lr 0.95), Momentum (0.1), AdaGrad (1.5) and
// Adam (0.3) on f(x, y) = x^2/20 + y^2 from (-7, 2), through the library's optimisers.
// Files: optimizer_naive.png (2x2 contour plots with each path), optimizer_naive.csv.
struct OptimizerPath {
  std::string name;            // "SGD", "Momentum", "AdaGrad", "Adam"
  double lr = 0;
  std::vector<double> x, y;    // 31 points: the start and the position after each update
};
struct OptimizerNaiveResult : ExperimentOutput {
  std::vector<OptimizerPath> paths;
};
OptimizerNaiveResult run_optimizer_naive(const ExperimentOptions& o);

// Loss curves of several nets trained side by side on the same mini-batches (2. and 4.).
struct LossCurvesResult : ExperimentOutput {
  std::vector<std::string> labels;
  std::vector<std::vector<double>> loss;  // one per iteration, per net
  std::vector<double> final_loss;         // mean loss over the last 100 iterations (or fewer)
  std::vector<double> test_acc;           // accuracy on the test set after training
  std::size_t iterations = 0, batch_size = 0;
};

// 2. optimizer_compare_mnist.py: MultiLayerNet 784-100x4-10 (ReLU, He), SGD 0.01, Momentum 0.01,
// AdaGrad 0.01, Adam 0.001, batch 128, 2,000 iterations (quick: 300).
// Files: optimizer_mnist.png (smoothed losses, y 0..1), optimizer_mnist.csv (raw losses).
LossCurvesResult run_optimizer_mnist(const DataSplit& data, const ExperimentOptions& o);

// 3. weight_init_activation_histogram.py: 1,000 N(0, 1) inputs of 100 features through 5 layers
// of 100 units, W = scale * N(0, 1) drawn afresh per layer. Settings: std 1, std 0.01 and Xavier
// with sigmoid; std 0.01, Xavier and He with ReLU (the book's figures 6-10, 6-11, 6-13, 6-14).
// Files: weight_init_histogram.png (one row of 5 histograms per setting, 30 bins over (0, 1)),
// weight_init_histogram.csv (bin counts).
struct ActivationHistograms {
  std::string label;                             // "std=0.01 (sigmoid)"
  std::string activation;                        // "sigmoid" | "relu"
  std::string weight_init;                       // "1", "0.01", "xavier", "he"
  std::vector<std::vector<std::size_t>> counts;  // [layer][bin], np.histogram(a, 30, range=(0, 1))
  std::vector<double> mean, stddev;              // of each layer's activations
};
struct WeightInitHistogramResult : ExperimentOutput {
  int bins = 30;
  std::vector<ActivationHistograms> settings;
};
WeightInitHistogramResult run_weight_init_histogram(const ExperimentOptions& o);

// 4. weight_init_compare.py: the 784-100x4-10 ReLU net with std 0.01, Xavier and He, SGD 0.01,
// batch 128, 2,000 iterations (quick: 300). Files: weight_init_mnist.png (y 0..2.5), .csv.
LossCurvesResult run_weight_init_mnist(const DataSplit& data, const ExperimentOptions& o);

// 5. The seeds' TwoLayerNet with weight_init_std 0.0001, 0.01 and 10000: SGD lr 0.1, batch 100,
// 10,000 iterations (quick: 600), for both the ReLU net of chapter 5 ("two-layer") and the sigmoid
// net of chapter 4 ("two-layer-sigmoid"). Files: weight_scale.png (train and test accuracy per
// epoch, one chart per net), weight_scale.csv.
struct WeightScaleRun {
  std::string net;  // "two-layer" | "two-layer-sigmoid"
  double weight_init_std = 0;
  History history;
};
struct WeightScaleResult : ExperimentOutput {
  std::vector<WeightScaleRun> runs;
  // Throws std::out_of_range when there is no such run.
  const WeightScaleRun& run(const std::string& net, double weight_init_std) const;
};
WeightScaleResult run_weight_scale(const DataSplit& data, const ExperimentOptions& o);

// 6a. batch_norm_test.py: MultiLayerNet(Extend) 784-100x5-10 with and without batch norm on the
// first 1,000 training digits, SGD 0.01, batch 100, 20 epochs, for the 16 weight scales
// np.logspace(0, -4, 16) (quick: np.logspace(0, -4, 3), 12 epochs). Files:
// batchnorm_book.png (4x4 grid of training accuracy), batchnorm_book.csv.
struct BatchNormBookResult {
  std::vector<double> weight_scales;
  std::vector<std::vector<double>> bn_train_acc, plain_train_acc;  // [scale][epoch]
  std::size_t epochs = 0;
};
// 6b. The seeds' Keras version: 784-50-50-10 sigmoid (Xavier init), SGD 0.01, batch 100,
// 30 epochs (quick: 8) of shuffled batches, with and without batch norm. Files: batchnorm_keras.png,
// batchnorm_keras.csv.
struct BatchNormKerasResult {
  History plain, bn;
};
struct BatchNormResult : ExperimentOutput {
  bool ran_book = false, ran_keras = false;
  BatchNormBookResult book;
  BatchNormKerasResult keras;
};
BatchNormResult run_batchnorm(const DataSplit& data, const ExperimentOptions& o);

// 7. overfit_weight_decay.py / overfit_dropout.py: the first 300 training digits, MultiLayerNet
// 784-100x6-10 (ReLU, He), SGD 0.01, batch 100, the scripts' 201 (weight decay) or 301 (dropout)
// epochs (quick: 100), train and test accuracy per epoch, without and with the regulariser (weight
// decay lambda 0.1; dropout ratio 0.2).
// Files: overfit_weight_decay.png / overfit_dropout.png (the two runs side by side), .csv.
struct OverfitResult : ExperimentOutput {
  std::string regulariser;   // "weight decay 0.1" | "dropout 0.2"
  History plain, regularised;
  double plain_gap() const { return plain.final_train_acc() - plain.final_test_acc(); }
  double regularised_gap() const { return regularised.final_train_acc() - regularised.final_test_acc(); }
};
OverfitResult run_overfit_weight_decay(const DataSplit& data, const ExperimentOptions& o);
OverfitResult run_overfit_dropout(const DataSplit& data, const ExperimentOptions& o);

// 8. hyperparameter_optimization.py: the first 500 training digits shuffled, 20% held out for
// validation; 100 trials (quick: 10) of lr = 10^U(-6, -2), weight decay = 10^U(-8, -4) on
// MultiLayerNet 784-100x6-10, SGD, batch 100, 50 epochs (quick: 25). Files:
// hyperparameter_search.png (val solid, train dashed for the best 20 in a 4x5 grid),
// hyperparameter_search.csv (every trial).
struct HyperparameterTrial {
  double lr = 0, weight_decay = 0;
  std::vector<double> val_acc, train_acc;  // per epoch
  double final_val_acc() const { return val_acc.empty() ? 0.0 : val_acc.back(); }
};
struct HyperparameterSearchResult : ExperimentOutput {
  std::vector<HyperparameterTrial> trials;  // best final validation accuracy first
};
HyperparameterSearchResult run_hyperparameter_search(const DataSplit& data, const ExperimentOptions& o);

// The experiments by name, for the CLI.
struct ExperimentInfo {
  std::string name;         // "optimizer-naive", ...
  std::string book_script;  // "ch06/optimizer_compare_naive.py"
  std::string description;
  bool needs_data;          // reads MNIST
};
const std::vector<ExperimentInfo>& experiment_list();

// Runs experiment `name` (data may be null for the experiments that need none) and returns its
// output. Throws std::invalid_argument listing the names for an unknown one, or when an
// experiment that needs data gets none.
ExperimentOutput run_experiment(const std::string& name, const DataSplit* data, const ExperimentOptions& o);

}  // namespace dlfs
