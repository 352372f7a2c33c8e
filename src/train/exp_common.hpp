// Pieces the chapter-6 experiments share: slices of a dataset, mini-batches drawn once and fed to
// several nets (the book's comparison scripts train every net on the same batch), a file sink that
// records what it wrote and skips plots without gnuplot, and plain-text tables.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dlfs/data/dataset.hpp"
#include "dlfs/nets/net.hpp"
#include "dlfs/optim/optimizer.hpp"
#include "dlfs/rng.hpp"
#include "dlfs/tensor.hpp"
#include "dlfs/train/experiments.hpp"

namespace dlfs::exp {

// Rows [begin, end) of d as a new dataset (x_train[:300] in the book). Throws
// std::invalid_argument when d has fewer than `end` rows.
Dataset take_rows(const Dataset& d, std::size_t begin, std::size_t end, const std::string& what);
// The rows idx, in that order.
Dataset pick_rows(const Dataset& d, const std::vector<std::size_t>& idx);

// np.random.choice(train_size, batch_size) once per iteration, gathered as float rows.
class BatchSource {
 public:
  BatchSource(const Dataset& d, std::size_t batch_size, std::uint64_t seed) : d_(d), bs_(batch_size), rng_(seed) {}
  void next();
  const Tensor<float>& x() const { return x_; }
  const Tensor<float>& t() const { return t_; }

 private:
  const Dataset& d_;
  std::size_t bs_;
  Rng rng_;
  std::vector<std::size_t> idx_;
  Tensor<float> x_, t_;
};

// Output files of one experiment: CSVs always (when out_dir is set), PNGs when gnuplot runs.
class FileSink {
 public:
  FileSink(const ExperimentOptions& o, ExperimentOutput& out);
  bool enabled() const { return !dir_.empty(); }
  void csv(const std::string& name, const std::vector<std::string>& header,
           const std::vector<std::vector<double>>& columns);
  // draw(path) writes the picture; skipped (with one warning on stderr) when gnuplot is missing.
  void png(const std::string& name, const std::function<void(const std::string&)>& draw);

 private:
  std::string dir_;
  ExperimentOutput& out_;
  bool plots_;
};

// Left-aligned first column, right-aligned others, two spaces apart.
std::string format_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);
std::string fmt(const char* format, double v);

// 0, 1, 2, ... n-1 as doubles (x axes).
std::vector<double> iota(std::size_t n, double start = 0);
// Mean of the last k values (all of them when there are fewer).
double tail_mean(const std::vector<double>& v, std::size_t k);

class Stopwatch {
 public:
  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count(); }

 private:
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
};

// A seed for run k of an experiment, so runs differ but the whole experiment follows options.seed.
std::uint64_t sub_seed(std::uint64_t seed, std::uint64_t k);

}  // namespace dlfs::exp

namespace dlfs::exp {

// The book's comparison loop (optimizer_compare_mnist.py, weight_init_compare.py): every
// iteration draws one batch and each net takes a gradient step on it with its own optimiser.
// Fills r.loss (the batch loss of each net before its update), r.final_loss and r.test_acc.
void train_side_by_side(const std::vector<Net<float>*>& nets, const std::vector<Optimizer<float>*>& opts,
                        const DataSplit& data, std::size_t batch_size, std::size_t iters, std::uint64_t seed,
                        bool verbose, LossCurvesResult& r);
// The book's figure: smooth_curve of each loss, markers every 100 iterations, y in [0, ymax].
void write_loss_curves(FileSink& sink, const std::string& stem, const LossCurvesResult& r, double ymax,
                       const std::vector<std::string>& markers, const std::string& title);

}  // namespace dlfs::exp
