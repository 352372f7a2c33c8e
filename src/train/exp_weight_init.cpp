// Chapter 6.2, initial weights: weight_init_activation_histogram.py, weight_init_compare.py and
// the seeds' TwoLayerNet at three weight scales.
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "dlfs/functions.hpp"
#include "dlfs/io/plot.hpp"
#include "dlfs/linalg.hpp"
#include "dlfs/nets/init.hpp"
#include "dlfs/nets/multi_layer_net.hpp"
#include "dlfs/nets/two_layer_net.hpp"
#include "dlfs/nets/two_layer_net_ch4.hpp"
#include "dlfs/optim/optimizers.hpp"
#include "dlfs/train/trainer.hpp"
#include "exp_common.hpp"

namespace dlfs {

using exp::fmt;

WeightInitHistogramResult run_weight_init_histogram(const ExperimentOptions& o) {
  exp::Stopwatch sw;
  WeightInitHistogramResult r;
  // 1,000 inputs take milliseconds, so quick runs the full experiment.
  const std::size_t n = 1000, node_num = 100, layers = 5;
  const int bins = 30;
  r.bins = bins;
  const struct {
    const char* label;
    const char* activation;
    const char* init;
  } setups[] = {{"std=1, sigmoid", "sigmoid", "1"},      {"std=0.01, sigmoid", "sigmoid", "0.01"},
                {"Xavier, sigmoid", "sigmoid", "xavier"}, {"std=0.01, ReLU", "relu", "0.01"},
                {"Xavier, ReLU", "relu", "xavier"},       {"He, ReLU", "relu", "he"}};

  // input_data = np.random.randn(1000, 100), the same for every setting.
  Rng rng(o.seed);
  const Tensor<double> input = randn<double>({n, node_num}, 1.0, rng, "input_data");
  std::vector<std::pair<std::string, std::vector<double>>> charts;
  for (const auto& s : setups) {
    ActivationHistograms h;
    h.label = s.label;
    h.activation = s.activation;
    h.weight_init = s.init;
    // Every setting scales the same N(0, 1) draws, so the settings differ only in the scale.
    Rng wrng(exp::sub_seed(o.seed, 1));
    const double scale = init_scale(s.init, node_num);
    Tensor<double> x = input, a;
    for (std::size_t i = 0; i < layers; ++i) {
      const Tensor<double> w = randn<double>({node_num, node_num}, scale, wrng, "w");
      matmul_into(x, w, a);  // a = np.dot(x, w)   (n, 100)
      x = h.activation == "relu" ? relu(a) : sigmoid(a);
      double sum = 0, sq = 0;
      for (double v : x) sum += v;
      const double mean = sum / double(x.size());
      for (double v : x) sq += (v - mean) * (v - mean);
      h.mean.push_back(mean);
      h.stddev.push_back(std::sqrt(sq / double(x.size())));
      std::vector<double> values(x.begin(), x.end());
      h.counts.push_back(histogram_counts(values, bins, 0.0, 1.0));
      // Half of a ReLU layer's outputs are exactly 0; the book clips that bar with ylim(0, 7000) to
      // show the rest. plot_histograms autoscales, so the ReLU charts leave the zeros out instead.
      if (h.activation == "relu") std::erase_if(values, [](double v) { return v <= 0; });
      charts.emplace_back(std::string(s.label) + (h.activation == "relu" ? " (a>0)" : "") + ": " +
                              std::to_string(i + 1) + "-layer",
                          std::move(values));
    }
    r.settings.push_back(std::move(h));
  }

  exp::FileSink sink(o, r);
  std::vector<std::string> header{"bin_lo", "bin_hi"};
  std::vector<std::vector<double>> cols(2);
  for (int b = 0; b < bins; ++b) {
    cols[0].push_back(double(b) / bins);
    cols[1].push_back(double(b + 1) / bins);
  }
  for (const auto& h : r.settings)
    for (std::size_t i = 0; i < layers; ++i) {
      header.push_back(h.label + " layer " + std::to_string(i + 1));
      cols.emplace_back(h.counts[i].begin(), h.counts[i].end());
    }
  sink.csv("weight_init_histogram.csv", header, cols);
  sink.png("weight_init_histogram.png", [&](const std::string& path) {
    plot_histograms(path, charts, bins, 0.0, 1.0, int(r.settings.size()), int(layers),
                    "Activations of 5 layers of 100 units (" + std::to_string(n) + " inputs), 30 bins over (0, 1)",
                    int(layers) * 300, int(r.settings.size()) * 230);
  });

  std::vector<std::vector<std::string>> rows;
  for (const auto& h : r.settings) {
    std::vector<std::string> row{h.label};
    for (std::size_t i = 0; i < layers; ++i) row.push_back(fmt("%.3f", h.mean[i]) + " +- " + fmt("%.3f", h.stddev[i]));
    rows.push_back(row);
  }
  r.table = exp::format_table({"setting (mean +- std)", "layer 1", "layer 2", "layer 3", "layer 4", "layer 5"}, rows);
  r.notes = "the ReLU charts leave out the activations equal to 0 (the CSV counts them, as np.histogram)";
  r.seconds = sw.seconds();
  return r;
}

LossCurvesResult run_weight_init_mnist(const DataSplit& data, const ExperimentOptions& o) {
  exp::Stopwatch sw;
  LossCurvesResult r;
  const std::size_t iters = o.quick ? 300 : 2000, batch = 128;
  const struct {
    const char* label;
    const char* init;
  } setups[] = {{"std=0.01", "0.01"}, {"Xavier", "sigmoid"}, {"He", "relu"}};  // the book's weight_init_types

  std::vector<std::unique_ptr<Net<float>>> nets;
  std::vector<std::unique_ptr<Optimizer<float>>> opts;
  std::vector<Net<float>*> np;
  std::vector<Optimizer<float>*> op;
  for (std::size_t k = 0; k < 3; ++k) {
    MultiLayerNetOptions mo;
    mo.input_size = data.train.pixels();
    mo.hidden_size_list = {100, 100, 100, 100};
    mo.output_size = data.train.num_classes;
    mo.weight_init_std = setups[k].init;
    // One seed for all three: the same N(0, 1) draws at three scales.
    nets.push_back(std::make_unique<MultiLayerNet<float>>(mo, exp::sub_seed(o.seed, 0)));
    opts.push_back(make_optimizer<float>(OptimizerSpec{"sgd", 0.01}));
    r.labels.push_back(setups[k].label);
    np.push_back(nets.back().get());
    op.push_back(opts.back().get());
  }
  exp::train_side_by_side(np, op, data, batch, iters, exp::sub_seed(o.seed, 100), o.verbose, r);

  exp::FileSink sink(o, r);
  exp::write_loss_curves(sink, "weight_init_mnist", r, 2.5, {"o", "s", "D"},
                         "MNIST, 784-100x4-10 ReLU, SGD lr 0.01, batch 128: smoothed training loss");
  std::vector<std::vector<std::string>> rows;
  for (std::size_t k = 0; k < 3; ++k)
    rows.push_back({r.labels[k], fmt("%.4f", r.loss[k].back()), fmt("%.4f", r.final_loss[k]), fmt("%.4f", r.test_acc[k])});
  r.table = exp::format_table({"weight init", "last loss", "mean loss (last 100)", "test acc"}, rows);
  if (o.quick) r.notes = "quick: 300 iterations instead of 2,000";
  r.seconds = sw.seconds();
  return r;
}

const WeightScaleRun& WeightScaleResult::run(const std::string& net, double weight_init_std) const {
  for (const auto& r : runs)
    if (r.net == net && r.weight_init_std == weight_init_std) return r;
  throw std::out_of_range("weight-scale: no run of " + net + " with weight_init_std " + fmt("%g", weight_init_std));
}

WeightScaleResult run_weight_scale(const DataSplit& data, const ExperimentOptions& o) {
  exp::Stopwatch sw;
  WeightScaleResult r;
  const double stds[] = {0.0001, 0.01, 10000};
  const char* nets[] = {"two-layer", "two-layer-sigmoid"};
  const std::size_t iters = o.quick ? 600 : 10000;
  for (const char* name : nets) {
    for (double s : stds) {
      std::unique_ptr<Net<float>> net;
      const std::size_t in = data.train.pixels(), out = data.train.num_classes;
      if (std::string(name) == "two-layer")
        net = std::make_unique<TwoLayerNet<float>>(in, 50, out, s, exp::sub_seed(o.seed, 0));
      else
        net = std::make_unique<TwoLayerNetCh4<float>>(in, 50, out, s, exp::sub_seed(o.seed, 0));
      TrainConfig tc;
      tc.iters = iters;
      tc.mini_batch_size = 100;
      tc.optimizer = {"sgd", 0.1};
      tc.verbose = false;
      tc.seed = exp::sub_seed(o.seed, 100);  // the same batches for every run
      Trainer<float> trainer(*net, data.train, data.test, tc);
      History h = trainer.train();
      if (h.diverged) {
        // Record where the net stopped, so the curves and the table still say how it ended.
        trainer.evaluate();
        h = trainer.history();
      }
      if (o.verbose) {
        std::printf("%-17s weight_init_std %-6g train acc %.4f  test acc %.4f%s\n", name, s, h.final_train_acc(),
                    h.final_test_acc(), h.diverged ? ("  (" + h.stop_reason + ")").c_str() : "");
        std::fflush(stdout);
      }
      r.runs.push_back({name, s, std::move(h)});
    }
  }

  exp::FileSink sink(o, r);
  std::vector<std::string> header{"iteration"};
  std::vector<std::vector<double>> cols{{}};
  for (std::size_t i : r.runs[0].history.epoch_iter) cols[0].push_back(double(i));
  for (const auto& run : r.runs) {
    const std::string key = run.net + " std=" + fmt("%g", run.weight_init_std);
    header.push_back(key + " train_acc");
    cols.push_back(run.history.train_acc);
    header.push_back(key + " test_acc");
    cols.push_back(run.history.test_acc);
  }
  sink.csv("weight_scale.csv", header, cols);
  sink.png("weight_scale.png", [&](const std::string& path) {
    std::vector<PlotSpec> charts;
    for (const char* name : nets) {
      PlotSpec p;
      p.title = std::string(name) + (std::string(name) == "two-layer" ? " (ch.5, ReLU)" : " (ch.4, sigmoid)");
      p.xlabel = "iterations";
      p.ylabel = "accuracy";
      p.ymin = 0, p.ymax = 1;
      p.legend = "right center";
      const char* colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c"};
      int c = 0;
      for (const auto& run : r.runs) {
        if (run.net != name) continue;
        std::vector<double> x;
        for (std::size_t i : run.history.epoch_iter) x.push_back(double(i));
        const std::string key = "std=" + fmt("%g", run.weight_init_std);
        p.series.emplace_back(key + " train", x, run.history.train_acc, "lines", colors[c]);
        p.series.emplace_back(key + " test", x, run.history.test_acc, "dashed", colors[c]);
        ++c;
      }
      charts.push_back(std::move(p));
    }
    plot_grid(path, charts, 1, 2, "TwoLayerNet 784-50-10, SGD lr 0.1, batch 100: accuracy by weight_init_std", 1200,
              460);
  });

  std::vector<std::vector<std::string>> rows;
  for (const auto& run : r.runs) {
    const History& h = run.history;
    rows.push_back({run.net, fmt("%g", run.weight_init_std), fmt("%.4f", h.final_train_acc()),
                    fmt("%.4f", h.final_test_acc()), fmt("%.4f", exp::tail_mean(h.train_loss, 100)),
                    h.diverged ? "diverged at " + std::to_string(h.train_loss.size() + 1) : "no"});
  }
  r.table =
      exp::format_table({"net", "weight_init_std", "train acc", "test acc", "loss (last 100)", "diverged"}, rows);
  if (o.quick) r.notes = "quick: 600 iterations instead of 10,000";
  r.seconds = sw.seconds();
  return r;
}

}  // namespace dlfs
