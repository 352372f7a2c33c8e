// Chapter 6.5, hyperparameter_optimization.py: random search of the learning rate and the weight
// decay on a log scale, judged on validation data carved out of the training data (never the test
// data).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "dlfs/io/plot.hpp"
#include "dlfs/nets/multi_layer_net.hpp"
#include "dlfs/train/trainer.hpp"
#include "exp_common.hpp"

namespace dlfs {

using exp::fmt;

HyperparameterSearchResult run_hyperparameter_search(const DataSplit& data, const ExperimentOptions& o) {
  exp::Stopwatch sw;
  HyperparameterSearchResult r;
  const std::size_t trials = o.quick ? 10 : 100, epochs = o.quick ? 25 : 50;

  // x_train[:500], shuffle_dataset, the first 20% for validation.
  const Dataset first = exp::take_rows(data.train, 0, 500, "hyperparameter-search: x_train[:500]");
  Rng rng(o.seed);
  const std::vector<std::size_t> perm = rng.permutation(first.size());
  const std::size_t validation_num = first.size() / 5;
  const Dataset val = exp::pick_rows(first, {perm.begin(), perm.begin() + std::ptrdiff_t(validation_num)});
  const Dataset train = exp::pick_rows(first, {perm.begin() + std::ptrdiff_t(validation_num), perm.end()});

  for (std::size_t k = 0; k < trials; ++k) {
    HyperparameterTrial t;
    t.weight_decay = std::pow(10.0, rng.uniform(-8, -4));
    t.lr = std::pow(10.0, rng.uniform(-6, -2));
    MultiLayerNetOptions mo;
    mo.input_size = train.pixels();
    mo.hidden_size_list = {100, 100, 100, 100, 100, 100};
    mo.output_size = train.num_classes;
    mo.weight_decay_lambda = t.weight_decay;
    MultiLayerNet<float> net(mo, exp::sub_seed(o.seed, k));
    TrainConfig tc;
    tc.epochs = epochs;
    tc.mini_batch_size = 100;
    tc.optimizer = {"sgd", t.lr};
    tc.verbose = false;
    tc.seed = exp::sub_seed(o.seed, 1000 + k);
    Trainer<float> trainer(net, train, val, tc);  // "test" here is the validation set
    const History& h = trainer.train();
    t.val_acc = h.test_acc;
    t.train_acc = h.train_acc;
    if (o.verbose)
      std::printf("trial %3zu/%zu  val acc:%.2f | lr:%.3g, weight decay:%.3g\n", k + 1, trials, t.final_val_acc(), t.lr,
                  t.weight_decay);
    r.trials.push_back(std::move(t));
  }
  std::stable_sort(r.trials.begin(), r.trials.end(), [](const auto& a, const auto& b) {
    return a.final_val_acc() > b.final_val_acc();
  });

  exp::FileSink sink(o, r);
  std::vector<std::vector<double>> cols(5);
  for (std::size_t k = 0; k < r.trials.size(); ++k) {
    const auto& t = r.trials[k];
    cols[0].push_back(double(k + 1));
    cols[1].push_back(t.lr);
    cols[2].push_back(t.weight_decay);
    cols[3].push_back(t.final_val_acc());
    cols[4].push_back(t.train_acc.empty() ? 0.0 : t.train_acc.back());
  }
  sink.csv("hyperparameter_search.csv", {"rank", "lr", "weight_decay", "val_acc", "train_acc"}, cols);
  const std::size_t shown = std::min<std::size_t>(20, r.trials.size());
  const int col_num = 5, row_num = int((shown + col_num - 1) / col_num);
  sink.png("hyperparameter_search.png", [&](const std::string& path) {
    std::vector<PlotSpec> charts;
    for (std::size_t k = 0; k < shown; ++k) {
      const auto& t = r.trials[k];
      PlotSpec p;
      p.title = "Best-" + std::to_string(k + 1) + " (lr " + fmt("%.1e", t.lr) + ")";
      p.ymin = 0, p.ymax = 1;
      p.legend = "off";
      const std::vector<double> x = exp::iota(t.val_acc.size(), 1);
      p.series.emplace_back("val", x, t.val_acc, "lines");
      p.series.emplace_back("train", x, t.train_acc, "dashed");
      charts.push_back(std::move(p));
    }
    plot_grid(path, charts, row_num, col_num,
              "Random search, best " + std::to_string(shown) + " of " + std::to_string(r.trials.size()) +
                  ": validation (solid) and training (dashed) accuracy over " + std::to_string(epochs) + " epochs",
              col_num * 280, row_num * 220);
  });

  for (std::size_t k = 0; k < shown; ++k) {
    const auto& t = r.trials[k];
    char buf[160];
    std::snprintf(buf, sizeof buf, "Best-%zu(val acc:%.2f) | lr:%.6g, weight decay:%.6g\n", k + 1, t.final_val_acc(),
                  t.lr, t.weight_decay);
    r.table += buf;
  }
  if (r.trials.size() > shown)
    r.table += "... worst (val acc:" + fmt("%.2f", r.trials.back().final_val_acc()) + ") | lr:" +
               fmt("%.6g", r.trials.back().lr) + ", weight decay:" + fmt("%.6g", r.trials.back().weight_decay) + "\n";
  r.notes = std::string(o.quick ? "quick: 10 trials of 25 epochs instead of 100 of 50. " : "") +
            "Validation: 100 of the first 500 training digits (shuffled with the seed); training: the other 400.";
  r.seconds = sw.seconds();
  return r;
}

}  // namespace dlfs
