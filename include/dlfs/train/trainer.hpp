// The training loop of the book's train_neuralnet.py and common/trainer.py: random mini-batches,
// gradient, optimiser update, and an evaluation of train and test accuracy once per epoch.
#pragma once
#include <cstdint>
#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "dlfs/data/dataset.hpp"
#include "dlfs/nets/layer_net.hpp"
#include "dlfs/optim/optimizer.hpp"
#include "dlfs/rng.hpp"
#include "dlfs/train/history.hpp"

namespace dlfs {

class Progress;

struct TrainConfig {
  std::size_t iters = 10000;  // total iterations; ignored when epochs > 0
  std::size_t epochs = 0;     // if > 0: iters = epochs * iter_per_epoch (the book's Trainer)
  std::size_t mini_batch_size = 100;
  OptimizerSpec optimizer{"sgd", 0.1};
  // Rows used for each accuracy evaluation; 0 = all (the book's evaluate_sample_num_per_epoch).
  std::size_t evaluate_sample_num_per_epoch = 0;
  // true: batches drawn with replacement, np.random.choice(train_size, batch_size) as the book.
  // false: each epoch walks a fresh permutation (Keras-style fit).
  bool with_replacement = true;
  // "backprop" or "numerical" (chapter 4's numerical-gradient training).
  std::string gradient = "backprop";
  bool verbose = true;         // progress to stderr
  // Stop at the first NaN/Inf, naming it: each layer's output, dx and gradients (LayerNet nets),
  // the loss, every gradient and every parameter after the update.
  bool check_numerics = false;
  // Evaluate on a copy of the weights in a second thread while training goes on, when there are
  // two or more threads and the net allows it (a LayerNet with sparse input; not with
  // check_numerics). The accuracies are those of evaluate() on the same weights, bit for bit;
  // only when they reach the history, the epoch line and on_epoch changes (as soon as the
  // evaluation ends, at the latest before on_step_end and before train() returns).
  bool evaluate_in_background = true;
  std::uint64_t seed = 0;
};

struct Callbacks {
  std::function<void(std::size_t iter, double loss)> on_iteration;
  std::function<void(std::size_t epoch, double train_acc, double test_acc)> on_epoch;
  // After each iteration is complete, evaluation included: the place to write a checkpoint, so a
  // resumed run starts exactly where this one stood.
  std::function<void(std::size_t iter)> on_step_end;
};

// Fraction of rows of d classified correctly, evaluated in chunks (inference mode, no gradients).
// limit > 0 evaluates only the first `limit` rows.
template <class T>
double evaluate_accuracy(Net<T>& net, const Dataset& d, std::size_t limit = 0, std::size_t chunk = 1000);

// Indices of misclassified rows (at most max_count) and their predicted labels.
template <class T>
std::vector<std::pair<std::size_t, int>> misclassified(Net<T>& net, const Dataset& d, std::size_t max_count);

// Whether a net takes (N, C, H, W) images rather than flat rows: nets that declare "input_dim".
bool net_wants_images(const nlohmann::json& config);

template <class T>
class Trainer {
 public:
  Trainer(Net<T>& net, const Dataset& train, const Dataset& test, TrainConfig cfg, Callbacks cb = {});
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // Runs the remaining iterations and returns the history (also kept in history()).
  const History& train();
  // One iteration: draws a batch, computes the gradient, updates; returns the batch loss.
  double train_step();
  // Evaluates and records train/test accuracy (called at each epoch end by train()).
  void evaluate();

  std::size_t iter_per_epoch() const { return iter_per_epoch_; }
  std::size_t train_size() const { return train_.size(); }
  const Dataset& train_set() const { return train_; }
  std::size_t max_iter() const { return max_iter_; }
  std::size_t current_iter() const { return iter_; }
  void set_current_iter(std::size_t i) { iter_ = i; }
  History& history() { return history_; }
  Optimizer<T>& optimizer() { return *optimizer_; }
  Rng& rng() { return rng_; }
  Net<T>& net() { return net_; }
  const TrainConfig& config() const { return cfg_; }
  // Without-replacement sampling: the current epoch's permutation and the position in it
  // (empty/0 before the first draw), for checkpoints.
  const std::vector<std::size_t>& permutation() const { return perm_; }
  std::size_t permutation_pos() const { return perm_pos_; }
  // Throws std::invalid_argument unless perm is a permutation of 0..train_size-1 (or empty) and
  // pos <= perm.size().
  void set_permutation(std::vector<std::size_t> perm, std::size_t pos);

 private:
  // Draws the next batch's rows, then either builds the float batch (x_batch_, t_batch_) or, for
  // a mostly-zero batch and a net that takes sparse input, only t_batch_; returns the loss.
  void draw_batch();
  T batch_gradient();
  void check_numerics(const char* what);
  // Appends " at iteration N" to a NumericsError from the net.
  [[noreturn]] void rethrow_numerics(const std::exception& e, std::size_t iteration) const;
  bool params_finite();

  Net<T>& net_;
  const Dataset& train_;
  const Dataset& test_;
  TrainConfig cfg_;
  Callbacks cb_;
  std::unique_ptr<Optimizer<T>> optimizer_;
  Rng rng_;
  bool flatten_;
  LayerNet<T>* sparse_net_ = nullptr;  // the net, when its first layer takes sparse input
  // The evaluated rows of a mostly-zero training or test set, compressed once: every evaluation
  // then copies entries instead of finding them again in the bytes (MNIST: 100 evaluations of
  // 20,000 digits in the seeds' run, 12 MB for 10,000 digits).
  struct EvalCache {
    bool built = false;
    SparseRows<T> rows;  // empty when the set is too dense or too large to keep
  };
  EvalCache train_cache_, test_cache_;
  // Accuracy of `net` (the trained net or its copy) on d; `ln` is net as a sparse-input LayerNet
  // or null.
  double evaluate_cached(Net<T>& net, LayerNet<T>* ln, const Dataset& d, EvalCache& cache);
  std::pair<double, double> accuracies();  // train and test accuracy of net_ now
  // Background evaluation: a copy of the net (same config, weights copied at each epoch end) that
  // a side thread evaluates while this one trains; at most one evaluation in flight.
  std::unique_ptr<Net<T>> eval_net_;
  std::thread eval_thread_;
  std::atomic<bool> eval_done_{false};
  bool eval_pending_ = false;
  std::size_t eval_iter_ = 0;
  double eval_train_ = 0, eval_test_ = 0, eval_loss_ = 0;
  std::exception_ptr eval_error_;
  void start_background_evaluation();
  // Joins the evaluation in flight (if any) and records it: history, epoch line, on_epoch.
  void finish_background_evaluation(Progress& progress);
  void record_evaluation(std::size_t iter, double train_acc, double test_acc, double loss, Progress& progress);
  bool make_eval_net();
  std::size_t iter_per_epoch_ = 1, max_iter_ = 0, iter_ = 0;
  std::vector<std::size_t> batch_idx_, perm_;
  std::size_t perm_pos_ = 0;
  Tensor<T> x_batch_, t_batch_;
  History history_;
};

}  // namespace dlfs
