// Chapter 6.4, overfitting and its cures: overfit_weight_decay.py and overfit_dropout.py. A
// 7-layer net on 300 digits learns them by heart; weight decay and dropout narrow the gap between
// training and test accuracy.
#include <cstdio>

#include "dlfs/io/plot.hpp"
#include "dlfs/nets/multi_layer_net.hpp"
#include "dlfs/train/trainer.hpp"
#include "exp_common.hpp"

namespace dlfs {

using exp::fmt;

namespace {

OverfitResult run_overfit(const DataSplit& data, const ExperimentOptions& o, const std::string& stem,
                          const std::string& regulariser, const MultiLayerNetOptions& reg, std::size_t max_epochs) {
  exp::Stopwatch sw;
  OverfitResult r;
  r.regulariser = regulariser;
  const Dataset train = exp::take_rows(data.train, 0, 300, stem + ": x_train[:300]");
  TrainConfig tc;
  tc.epochs = o.quick ? 100 : max_epochs;
  tc.mini_batch_size = 100;
  tc.optimizer = {"sgd", 0.01};
  // quick: accuracy on the 300 training digits and the first 1,000 test digits
  tc.evaluate_sample_num_per_epoch = o.quick ? 1000 : 0;
  tc.verbose = false;
  tc.seed = exp::sub_seed(o.seed, 100);  // the same batches for both runs

  MultiLayerNetOptions plain = reg;
  plain.weight_decay_lambda = 0;
  plain.use_dropout = false;
  for (int k = 0; k < 2; ++k) {
    // The same initial weights for both runs: only the regulariser differs.
    MultiLayerNet<float> net(k ? reg : plain, exp::sub_seed(o.seed, 0));
    Trainer<float> trainer(net, train, data.test, tc);
    History h = trainer.train();
    if (o.verbose)
      std::printf("%s: train acc %.4f  test acc %.4f\n", k ? regulariser.c_str() : "plain", h.final_train_acc(),
                  h.final_test_acc());
    (k ? r.regularised : r.plain) = std::move(h);
  }

  exp::FileSink sink(o, r);
  const std::vector<double> epochs = exp::iota(r.plain.train_acc.size(), 1);
  sink.csv(stem + ".csv", {"epoch", "plain train_acc", "plain test_acc", regulariser + " train_acc", regulariser + " test_acc"},
           {epochs, r.plain.train_acc, r.plain.test_acc, r.regularised.train_acc, r.regularised.test_acc});
  sink.png(stem + ".png", [&](const std::string& path) {
    std::vector<PlotSpec> charts;
    for (int k = 0; k < 2; ++k) {
      const History& h = k ? r.regularised : r.plain;
      PlotSpec p;
      p.title = k ? regulariser : "no regularisation";
      p.xlabel = "epochs";
      p.ylabel = "accuracy";
      p.ymin = 0, p.ymax = 1;
      p.xmin = 0, p.xmax = double(epochs.size());
      p.legend = "bottom right";
      const int every = std::max(1, int(epochs.size() / 20));
      p.series.emplace_back("train", epochs, h.train_acc, "linespoints", "", "o", every);
      p.series.emplace_back("test", epochs, h.test_acc, "linespoints", "", "s", every);
      charts.push_back(std::move(p));
    }
    plot_grid(path, charts, 1, 2,
              "300 training digits, 784-100x6-10 ReLU, SGD 0.01, batch 100, " + std::to_string(tc.epochs) + " epochs",
              1000, 420);
  });

  auto row = [&](const std::string& name, const History& h) {
    return std::vector<std::string>{name, fmt("%.4f", h.final_train_acc()), fmt("%.4f", h.final_test_acc()),
                                    fmt("%.4f", h.final_train_acc() - h.final_test_acc())};
  };
  r.table = exp::format_table({"", "train acc", "test acc", "gap"},
                              {row("plain", r.plain), row(regulariser, r.regularised)});
  if (o.quick)
    r.notes = "quick: 100 epochs instead of " + std::to_string(max_epochs) +
              ", test accuracy on the first 1,000 test digits";
  r.seconds = sw.seconds();
  return r;
}

MultiLayerNetOptions seven_layers(const DataSplit& data) {
  MultiLayerNetOptions mo;
  mo.input_size = data.train.pixels();
  mo.hidden_size_list = {100, 100, 100, 100, 100, 100};
  mo.output_size = data.train.num_classes;
  return mo;
}

}  // namespace

OverfitResult run_overfit_weight_decay(const DataSplit& data, const ExperimentOptions& o) {
  MultiLayerNetOptions mo = seven_layers(data);
  mo.weight_decay_lambda = 0.1;
  return run_overfit(data, o, "overfit_weight_decay", "weight decay 0.1", mo, 201);  // the script's max_epochs
}

OverfitResult run_overfit_dropout(const DataSplit& data, const ExperimentOptions& o) {
  MultiLayerNetOptions mo = seven_layers(data);
  mo.use_dropout = true;
  mo.dropout_ration = 0.2;
  return run_overfit(data, o, "overfit_dropout", "dropout 0.2", mo, 301);  // the script's Trainer(epochs=301)
}

}  // namespace dlfs
