// Chapter 6.1: optimizer_compare_naive.py and optimizer_compare_mnist.py, and the side-by-side
// training loop that weight_init_compare.py shares with the latter.
#include <cmath>
#include <cstdio>

#include "dlfs/io/plot.hpp"
#include "dlfs/io/smooth_curve.hpp"
#include "dlfs/nets/multi_layer_net.hpp"
#include "dlfs/optim/optimizers.hpp"
#include "dlfs/train/trainer.hpp"
#include "exp_common.hpp"

namespace dlfs {

using exp::fmt;

OptimizerNaiveResult run_optimizer_naive(const ExperimentOptions& o) {
  exp::Stopwatch sw;
  OptimizerNaiveResult r;
  // f(x, y) = x^2/20 + y^2, an elongated bowl: steep in y, nearly flat in x.
  auto f = [](double x, double y) { return x * x / 20.0 + y * y; };
  const std::size_t steps = 30;  // the book's range(30)
  const struct {
    const char* label;
    const char* name;
    double lr;
  } setups[] = {{"SGD", "sgd", 0.95}, {"Momentum", "momentum", 0.1}, {"AdaGrad", "adagrad", 1.5}, {"Adam", "adam", 0.3}};

  for (const auto& s : setups) {
    OptimizerSpec spec;
    spec.name = s.name;
    spec.lr = s.lr;
    auto opt = make_optimizer<double>(spec);
    // The two coordinates as parameters, so the library's optimisers run unchanged.
    Param<double> px("x", Tensor<double>::from({-7.0})), py("y", Tensor<double>::from({2.0}));
    std::vector<Param<double>*> params{&px, &py};
    OptimizerPath path{s.label, s.lr, {px.value[0]}, {py.value[0]}};
    for (std::size_t i = 0; i < steps; ++i) {
      px.grad[0] = px.value[0] / 10.0;  // df/dx
      py.grad[0] = 2.0 * py.value[0];   // df/dy
      opt->update(params);
      path.x.push_back(px.value[0]);
      path.y.push_back(py.value[0]);
    }
    r.paths.push_back(std::move(path));
  }

  exp::FileSink sink(o, r);
  std::vector<std::string> header{"step"};
  std::vector<std::vector<double>> cols{exp::iota(steps + 1)};
  for (const auto& p : r.paths) {
    header.push_back(p.name + "_x");
    header.push_back(p.name + "_y");
    cols.push_back(p.x);
    cols.push_back(p.y);
  }
  sink.csv("optimizer_naive.csv", header, cols);
  sink.png("optimizer_naive.png", [&](const std::string& path) {
    ContourSpec c;
    c.f = f;
    c.xmin = -10, c.xmax = 10, c.ymin = -10, c.ymax = 10;
    c.samples = 201;
    c.levels = {0.1, 0.5, 1, 2, 3, 4, 5, 6, 7};  // the book masks f > 7 to draw only the inner ellipses
    c.marks = {{0.0, 0.0}};
    for (const auto& p : r.paths) c.paths.push_back({p.name + " (lr " + fmt("%g", p.lr) + ")", p.x, p.y});
    c.rows = 2, c.cols = 2;
    c.title = "f(x, y) = x^2/20 + y^2 from (-7, 2), 30 updates";
    plot_contour_paths(path, c);
  });

  std::vector<std::vector<std::string>> rows;
  for (const auto& p : r.paths) {
    const double x = p.x.back(), y = p.y.back();
    rows.push_back({p.name, fmt("%g", p.lr), fmt("%.4f", x), fmt("%.4f", y), fmt("%.4f", std::hypot(x, y)),
                    fmt("%.2e", f(x, y))});
  }
  r.table = exp::format_table({"optimizer", "lr", "x_30", "y_30", "|(x,y)|", "f(x,y)"}, rows);
  r.notes = "paths hold 31 points: the start and the position after each of the 30 updates";
  r.seconds = sw.seconds();
  return r;
}

namespace exp {

void train_side_by_side(const std::vector<Net<float>*>& nets, const std::vector<Optimizer<float>*>& opts,
                        const DataSplit& data, std::size_t batch_size, std::size_t iters, std::uint64_t seed,
                        bool verbose, LossCurvesResult& r) {
  r.iterations = iters;
  r.batch_size = batch_size;
  r.loss.assign(nets.size(), {});
  for (auto& l : r.loss) l.reserve(iters);
  BatchSource batches(data.train, batch_size, seed);
  for (std::size_t i = 0; i < iters; ++i) {
    batches.next();
    for (std::size_t k = 0; k < nets.size(); ++k) {
      // The book records loss(x_batch) after the update; the loss of the same batch just before
      // it costs no extra forward pass and differs by one step.
      r.loss[k].push_back(double(nets[k]->gradient(batches.x(), batches.t())));
      opts[k]->update(nets[k]->params());
    }
    if (verbose && (i % 500 == 0 || i + 1 == iters)) {
      std::printf("iteration %zu/%zu:", i + 1, iters);
      for (std::size_t k = 0; k < nets.size(); ++k) std::printf("  %s %.4f", r.labels[k].c_str(), r.loss[k].back());
      std::printf("\n");
      std::fflush(stdout);
    }
  }
  r.final_loss.clear();
  r.test_acc.clear();
  for (std::size_t k = 0; k < nets.size(); ++k) {
    r.final_loss.push_back(tail_mean(r.loss[k], 100));
    r.test_acc.push_back(evaluate_accuracy(*nets[k], data.test));
  }
}

void write_loss_curves(FileSink& sink, const std::string& stem, const LossCurvesResult& r, double ymax,
                       const std::vector<std::string>& markers, const std::string& title) {
  std::vector<std::string> header{"iteration"};
  std::vector<std::vector<double>> cols{iota(r.iterations)};
  for (std::size_t k = 0; k < r.labels.size(); ++k) {
    header.push_back(r.labels[k] + "_loss");
    cols.push_back(r.loss[k]);
  }
  for (std::size_t k = 0; k < r.labels.size(); ++k) {
    header.push_back(r.labels[k] + "_smoothed");
    cols.push_back(smooth_curve(r.loss[k]));
  }
  sink.csv(stem + ".csv", header, cols);
  sink.png(stem + ".png", [&](const std::string& path) {
    PlotSpec p;
    p.title = title;
    p.xlabel = "iterations";
    p.ylabel = "loss";
    p.ymin = 0;
    p.ymax = ymax;
    for (std::size_t k = 0; k < r.labels.size(); ++k) {
      std::vector<double> s = smooth_curve(r.loss[k]);
      p.series.emplace_back(r.labels[k], iota(s.size()), s, "linespoints", "", markers[k % markers.size()],
                            std::max<int>(1, int(r.iterations / 20)));
    }
    plot_lines(path, p);
  });
}

}  // namespace exp

LossCurvesResult run_optimizer_mnist(const DataSplit& data, const ExperimentOptions& o) {
  exp::Stopwatch sw;
  LossCurvesResult r;
  const std::size_t iters = o.quick ? 300 : 2000, batch = 128;
  const struct {
    const char* label;
    const char* name;
    double lr;
  } setups[] = {{"SGD", "sgd", 0.01}, {"Momentum", "momentum", 0.01}, {"AdaGrad", "adagrad", 0.01}, {"Adam", "adam", 0.001}};

  std::vector<std::unique_ptr<Net<float>>> nets;
  std::vector<std::unique_ptr<Optimizer<float>>> opts;
  for (std::size_t k = 0; k < 4; ++k) {
    MultiLayerNetOptions mo;
    mo.input_size = data.train.pixels();
    mo.hidden_size_list = {100, 100, 100, 100};  // the script's 5-layer net (4 hidden + output)
    mo.output_size = data.train.num_classes;
    // Each net draws its own weights (the book builds four nets from one random stream).
    nets.push_back(std::make_unique<MultiLayerNet<float>>(mo, exp::sub_seed(o.seed, k)));
    OptimizerSpec spec;
    spec.name = setups[k].name;
    spec.lr = setups[k].lr;
    opts.push_back(make_optimizer<float>(spec));
    r.labels.push_back(setups[k].label);
  }
  std::vector<Net<float>*> np;
  std::vector<Optimizer<float>*> op;
  for (std::size_t k = 0; k < 4; ++k) np.push_back(nets[k].get()), op.push_back(opts[k].get());
  exp::train_side_by_side(np, op, data, batch, iters, exp::sub_seed(o.seed, 100), o.verbose, r);

  exp::FileSink sink(o, r);
  exp::write_loss_curves(sink, "optimizer_mnist", r, 1.0, {"o", "x", "s", "D"},
                         "MNIST, 784-100x4-10 ReLU, batch 128: smoothed training loss");
  std::vector<std::vector<std::string>> rows;
  for (std::size_t k = 0; k < 4; ++k)
    rows.push_back({r.labels[k], fmt("%g", setups[k].lr), fmt("%.4f", r.loss[k].back()), fmt("%.4f", r.final_loss[k]),
                    fmt("%.4f", r.test_acc[k])});
  r.table = exp::format_table({"optimizer", "lr", "last loss", "mean loss (last 100)", "test acc"}, rows);
  if (o.quick) r.notes = "quick: 300 iterations instead of 2,000";
  r.seconds = sw.seconds();
  return r;
}

}  // namespace dlfs
