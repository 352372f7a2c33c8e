// Chapter 6.3, batch normalisation: the book's batch_norm_test.py (16 weight scales on 1,000
// digits) and the seeds' Keras comparison (784-50-50-10 sigmoid with and without batch norm).
#include <cmath>
#include <cstdio>

#include "dlfs/io/plot.hpp"
#include "dlfs/nets/multi_layer_net.hpp"
#include "dlfs/optim/optimizers.hpp"
#include "dlfs/train/trainer.hpp"
#include "exp_common.hpp"

namespace dlfs {

using exp::fmt;

namespace {

// np.logspace(0, -4, num)
std::vector<double> logspace(double a, double b, std::size_t num) {
  std::vector<double> v(num);
  for (std::size_t i = 0; i < num; ++i)
    v[i] = std::pow(10.0, num == 1 ? a : a + (b - a) * double(i) / double(num - 1));
  return v;
}

void run_book(const DataSplit& data, const ExperimentOptions& o, BatchNormResult& r) {
  BatchNormBookResult& b = r.book;
  const Dataset train = exp::take_rows(data.train, 0, 1000, "batchnorm: x_train[:1000]");
  const std::size_t batch = 100, max_epochs = o.quick ? 12 : 20;
  const std::size_t iter_per_epoch = std::max<std::size_t>(train.size() / batch, 1);
  b.weight_scales = logspace(0, -4, o.quick ? 3 : 16);
  b.epochs = max_epochs;

  for (std::size_t s = 0; s < b.weight_scales.size(); ++s) {
    MultiLayerNetOptions mo;
    mo.input_size = train.pixels();
    mo.hidden_size_list = {100, 100, 100, 100, 100};
    mo.output_size = train.num_classes;
    mo.weight_init_std = fmt("%.17g", b.weight_scales[s]);
    MultiLayerNetOptions bo = mo;
    bo.use_batchnorm = true;
    // The same initial weights for both nets: only batch norm differs.
    MultiLayerNet<float> bn_network(bo, exp::sub_seed(o.seed, s)), network(mo, exp::sub_seed(o.seed, s));
    auto bn_opt = make_optimizer<float>({"sgd", 0.01}), opt = make_optimizer<float>({"sgd", 0.01});
    std::vector<double> acc, bn_acc;
    exp::BatchSource batches(train, batch, exp::sub_seed(o.seed, 1000 + s));
    // The script's loop: both nets step on each batch; after iterations 0, 10, 20, ... the
    // training accuracy of both is recorded, until max_epochs values.
    for (std::size_t i = 0; acc.size() < max_epochs; ++i) {
      batches.next();
      bn_network.gradient(batches.x(), batches.t());
      bn_opt->update(bn_network.params());
      network.gradient(batches.x(), batches.t());
      opt->update(network.params());
      if (i % iter_per_epoch == 0) {
        acc.push_back(evaluate_accuracy(network, train));
        bn_acc.push_back(evaluate_accuracy(bn_network, train));
      }
    }
    if (o.verbose)
      std::printf("W:%-10.4g  without batch norm %.3f  with %.3f\n", b.weight_scales[s], acc.back(), bn_acc.back());
    b.plain_train_acc.push_back(std::move(acc));
    b.bn_train_acc.push_back(std::move(bn_acc));
  }
}

void write_book(exp::FileSink& sink, const ExperimentOptions& o, BatchNormResult& r) {
  const BatchNormBookResult& b = r.book;
  std::vector<std::string> header{"epoch"};
  std::vector<std::vector<double>> cols{exp::iota(b.epochs)};
  for (std::size_t s = 0; s < b.weight_scales.size(); ++s) {
    header.push_back("W=" + fmt("%.6g", b.weight_scales[s]) + " batchnorm");
    cols.push_back(b.bn_train_acc[s]);
    header.push_back("W=" + fmt("%.6g", b.weight_scales[s]) + " normal");
    cols.push_back(b.plain_train_acc[s]);
  }
  sink.csv("batchnorm_book.csv", header, cols);
  const std::size_t n = b.weight_scales.size(), grid_cols = std::min<std::size_t>(4, n),
                    grid_rows = (n + grid_cols - 1) / grid_cols;
  sink.png("batchnorm_book.png", [&](const std::string& path) {
    std::vector<PlotSpec> charts;
    for (std::size_t s = 0; s < b.weight_scales.size(); ++s) {
      PlotSpec p;
      p.title = "W:" + fmt("%.4g", b.weight_scales[s]);
      p.ymin = 0, p.ymax = 1;
      p.legend = "off";  // the figure title says which line is which
      if (s % grid_cols == 0) p.ylabel = "accuracy";
      if (s + grid_cols >= n) p.xlabel = "epochs";
      p.series.emplace_back("Batch Normalization", exp::iota(b.epochs), b.bn_train_acc[s], "lines");
      p.series.emplace_back("Normal (without BatchNorm)", exp::iota(b.epochs), b.plain_train_acc[s], "dashed");
      charts.push_back(std::move(p));
    }
    plot_grid(path, charts, int(grid_rows), int(grid_cols),
              "Training accuracy on 1,000 digits, 784-100x5-10 ReLU, SGD 0.01: batch norm (solid) vs none (dashed)",
              int(grid_cols) * 300, int(grid_rows) * 240);
  });

  std::vector<std::vector<std::string>> rows;
  for (std::size_t s = 0; s < b.weight_scales.size(); ++s)
    rows.push_back({fmt("%.4g", b.weight_scales[s]), fmt("%.3f", b.plain_train_acc[s].back()),
                    fmt("%.3f", b.bn_train_acc[s].back())});
  r.table += "(a) batch_norm_test.py: final training accuracy after " + std::to_string(b.epochs) + " epochs\n";
  r.table += exp::format_table({"weight scale", "without BN", "with BN"}, rows);
  if (o.quick) r.notes += "quick (a): 3 weight scales np.logspace(0, -4, 3) instead of 16, 12 epochs instead of 20. ";
}

void run_keras(const DataSplit& data, const ExperimentOptions& o, BatchNormResult& r) {
  MultiLayerNetOptions mo;
  mo.input_size = data.train.pixels();
  mo.hidden_size_list = {50, 50};
  mo.output_size = data.train.num_classes;
  mo.activation = "sigmoid";
  mo.weight_init_std = "xavier";  // Keras's glorot_uniform has variance 2/(fan_in+fan_out); the book's Xavier is 1/fan_in
  MultiLayerNetOptions bo = mo;
  bo.use_batchnorm = true;
  TrainConfig tc;
  tc.epochs = o.quick ? 8 : 30;
  tc.mini_batch_size = 100;
  tc.optimizer = {"sgd", 0.01};  // Keras's SGD default
  tc.with_replacement = false;   // model.fit shuffles and walks each epoch
  tc.verbose = false;
  tc.seed = exp::sub_seed(o.seed, 200);
  for (int with_bn = 0; with_bn < 2; ++with_bn) {
    MultiLayerNet<float> net(with_bn ? bo : mo, exp::sub_seed(o.seed, 201));
    Trainer<float> trainer(net, data.train, data.test, tc);
    History h = trainer.train();
    if (o.verbose)
      std::printf("784-50-50-10 sigmoid %s batch norm: train acc %.4f  test acc %.4f\n", with_bn ? "with" : "without",
                  h.final_train_acc(), h.final_test_acc());
    (with_bn ? r.keras.bn : r.keras.plain) = std::move(h);
  }
}

void write_keras(exp::FileSink& sink, const ExperimentOptions& o, BatchNormResult& r) {
  const History &a = r.keras.plain, &b = r.keras.bn;
  const std::vector<double> epochs = exp::iota(a.train_acc.size(), 1);
  sink.csv("batchnorm_keras.csv", {"epoch", "normal train_acc", "normal test_acc", "batchnorm train_acc", "batchnorm test_acc"},
           {epochs, a.train_acc, a.test_acc, b.train_acc, b.test_acc});
  sink.png("batchnorm_keras.png", [&](const std::string& path) {
    PlotSpec p;
    p.title = "784-50-50-10 sigmoid, SGD 0.01, batch 100 (Keras-style epochs)";
    p.xlabel = "epochs";
    p.ylabel = "accuracy";
    p.ymin = 0, p.ymax = 1;
    p.legend = "center right";
    p.series.emplace_back("batch norm, train", epochs, b.train_acc, "lines", "#1f77b4");
    p.series.emplace_back("batch norm, test", epochs, b.test_acc, "dashed", "#1f77b4");
    p.series.emplace_back("without, train", epochs, a.train_acc, "lines", "#ff7f0e");
    p.series.emplace_back("without, test", epochs, a.test_acc, "dashed", "#ff7f0e");
    plot_lines(path, p);
  });
  if (!r.table.empty()) r.table += "\n";
  r.table += "(b) Keras version: 784-50-50-10 sigmoid, " + std::to_string(a.train_acc.size()) + " epochs\n";
  r.table += exp::format_table({"", "train acc", "test acc"},
                               {{"without BN", fmt("%.4f", a.final_train_acc()), fmt("%.4f", a.final_test_acc())},
                                {"with BN", fmt("%.4f", b.final_train_acc()), fmt("%.4f", b.final_test_acc())}});
  r.notes += std::string(o.quick ? "quick (b): 8 epochs instead of 30. " : "") +
             "(b) uses the book's Xavier init (N(0, 1/fan_in)) for Keras's glorot_uniform and the book's batch norm "
             "(momentum 0.9, eps 1e-7) for Keras's (0.99, 1e-3). ";
}

}  // namespace

BatchNormResult run_batchnorm(const DataSplit& data, const ExperimentOptions& o) {
  exp::Stopwatch sw;
  if (!o.variant.empty() && o.variant != "book" && o.variant != "keras")
    throw std::invalid_argument("batchnorm: variant must be book, keras or empty (both), got '" + o.variant + "'");
  BatchNormResult r;
  exp::FileSink sink(o, r);
  if (o.variant != "keras") {
    run_book(data, o, r);
    r.ran_book = true;
    write_book(sink, o, r);
  }
  if (o.variant != "book") {
    run_keras(data, o, r);
    r.ran_keras = true;
    write_keras(sink, o, r);
  }
  r.seconds = sw.seconds();
  return r;
}

}  // namespace dlfs
