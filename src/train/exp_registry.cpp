// The chapter-6 experiments by name.
#include <functional>
#include <stdexcept>

#include "dlfs/train/exp_conv_filters.hpp"
#include "dlfs/train/experiments.hpp"

namespace dlfs {

namespace {

using Runner = std::function<ExperimentOutput(const DataSplit*, const ExperimentOptions&)>;

struct Entry {
  ExperimentInfo info;
  Runner run;
};

// Slices a derived result to its ExperimentOutput: the CLI needs only the table and the files.
template <class F>
Runner with_data(F f) {
  return [f](const DataSplit* d, const ExperimentOptions& o) -> ExperimentOutput { return f(*d, o); };
}
template <class F>
Runner without_data(F f) {
  return [f](const DataSplit*, const ExperimentOptions& o) -> ExperimentOutput { return f(o); };
}

const std::vector<Entry>& entries() {
  static const std::vector<Entry> e = {
      {{"optimizer-naive", "ch06/optimizer_compare_naive.py",
        "SGD, Momentum, AdaGrad, Adam on f(x,y) = x^2/20 + y^2 from (-7, 2), 30 steps", false},
       without_data(run_optimizer_naive)},
      {{"optimizer-mnist", "ch06/optimizer_compare_mnist.py",
        "the four optimisers on a 784-100x4-10 ReLU net, 2,000 iterations of batch 128", true},
       with_data(run_optimizer_mnist)},
      {{"weight-init-histogram", "ch06/weight_init_activation_histogram.py",
        "activations of 5 sigmoid/ReLU layers for std 1, 0.01, Xavier, He", false},
       without_data(run_weight_init_histogram)},
      {{"weight-init-mnist", "ch06/weight_init_compare.py", "std 0.01 vs Xavier vs He on a 784-100x4-10 ReLU net",
        true},
       with_data(run_weight_init_mnist)},
      {{"weight-scale", "the seeds' ch05/train_neuralnet.py at three weight scales",
        "TwoLayerNet (ReLU, and ch.4 sigmoid) with weight_init_std 0.0001, 0.01, 10000", true},
       with_data(run_weight_scale)},
      {{"batchnorm", "ch06/batch_norm_test.py and the seeds' Keras version",
        "with vs without batch norm: 16 weight scales on 1,000 digits (--variant book), 784-50-50-10 sigmoid "
        "(--variant keras)",
        true},
       with_data(run_batchnorm)},
      {{"overfit-weight-decay", "ch06/overfit_weight_decay.py",
        "300 digits, 784-100x6-10, 201 epochs: plain vs weight decay 0.1", true},
       with_data(run_overfit_weight_decay)},
      {{"overfit-dropout", "ch06/overfit_dropout.py", "300 digits, 784-100x6-10, 301 epochs: plain vs dropout 0.2",
        true},
       with_data(run_overfit_dropout)},
      {{"hyperparameter-search", "ch06/hyperparameter_optimization.py",
        "100 random (lr, weight decay) trials on 400 digits, validated on 100", true},
       with_data(run_hyperparameter_search)},
      {{"conv-filters", "ch07/visualize_filter.py",
        "SimpleConvNet's 30 first-layer filters before and after training (Adam lr 0.001, 5 epochs)", true},
       with_data(run_conv_filters)},
  };
  return e;
}

}  // namespace

const std::vector<ExperimentInfo>& experiment_list() {
  static const std::vector<ExperimentInfo> list = [] {
    std::vector<ExperimentInfo> v;
    for (const auto& e : entries()) v.push_back(e.info);
    return v;
  }();
  return list;
}

ExperimentOutput run_experiment(const std::string& name, const DataSplit* data, const ExperimentOptions& o) {
  for (const auto& e : entries()) {
    if (e.info.name != name) continue;
    if (e.info.needs_data && !data)
      throw std::invalid_argument("experiment " + name + " needs MNIST, got no dataset");
    if (!o.variant.empty() && name != "batchnorm")
      throw std::invalid_argument("experiment " + name + " has no variants, got --variant " + o.variant);
    return e.run(data, o);
  }
  std::string names;
  for (const auto& e : entries()) names += (names.empty() ? "" : ", ") + e.info.name;
  throw std::invalid_argument("unknown experiment '" + name + "'; expected one of: " + names);
}

}  // namespace dlfs
