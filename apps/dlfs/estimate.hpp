// What a run will cost, told before it starts: `dlfs train --hidden 100000` used to run 125 s and
// take 3 GB without a word under --quiet. The numbers come from the built net (its parameter count
// and, from one sample pushed through its layers in inference mode, the values each layer keeps and
// the multiply-adds of its Affine and Convolution layers), so they are estimates, printed as such.
// Runs over kMaxEstimatedBytes are refused unless --force (the other documented limit, 1e8 weights
// of a dense net, is net_config's).
#pragma once
#include <cstddef>
#include <string>

#include "dlfs/data/dataset.hpp"
#include "dlfs/nets/net.hpp"
#include "dlfs/tensor.hpp"

namespace dlfs::cli {

inline constexpr double kMaxEstimatedBytes = 4.0 * (1ull << 30);  // 4 GiB
// A rate this code beats on a small shared machine (2 cores): DeepConvNet's epoch of 8,000 digits
// (6e11 operations by this count) took 34 s, the seeds' run (3.4e11) 6 s, so estimates err long.
inline constexpr double kOpsPerSecond = 1.5e10;

struct NetCost {
  double params = 0;         // trainable values
  double forward_ops = 0;    // floating-point operations of one sample's forward pass
  double values_kept = 0;    // per sample: every layer's output
  std::size_t value_bytes = 4;
};

// sample: one input as the net takes it ((1, D) or (1, C, H, W)).
template <class T>
NetCost measure_net(Net<T>& net, const Tensor<T>& sample);

// Memory of training with this batch and optimiser: values, gradients, optimiser state and the
// background evaluator's copy of every parameter, the kept values of a training batch (forward,
// backward and working space: 3x) and of a 1,000-row evaluation chunk, plus data_bytes. Measured:
// DeepConvNet 130 MB (estimate 0.45 GB), --hidden 100000 3 GB (estimate 2.1 GB).
double training_bytes(const NetCost& c, std::size_t batch, const std::string& optimizer, double data_bytes);

// Measures net, prints the estimate of a training run and checks the memory limit: iterations of
// batch rows (a forward and a backward pass, about 3 forwards; with the numerical gradient 2 x
// params loss evaluations instead), and at each of the run's epochs an evaluation of eval_samples
// rows (0: all) of both sets.
template <class T>
void estimate_training(Net<T>& net, const Dataset& train, const Dataset& test, std::size_t iters, std::size_t batch,
                       std::size_t eval_samples, const std::string& optimizer, bool numerical, bool quiet, bool force);

// numgrad and gradcheck: one numerical gradient (2 x params loss evaluations of the first `rows`
// rows of d), and with book_loop also the book's loop, which never takes the chapter-4 shortcut.
template <class T>
void estimate_numerical(Net<T>& net, const Dataset& d, std::size_t rows, bool book_loop, bool quiet, bool force);

// "39,760", "1.2 GB", "25 s" / "3.1 min" / "2.0 h".
std::string thousands(double n);
std::string human_bytes(double b);
std::string human_seconds(double s);

// Prints `estimate: ...` to stderr when !quiet or when the work is large (over 1 GiB or 60 s), and
// throws (naming the limit and --force) when bytes exceed kMaxEstimatedBytes and !force.
void report_estimate(const std::string& what, double bytes, double seconds, bool quiet, bool force);

}  // namespace dlfs::cli
