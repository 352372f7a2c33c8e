// A Keras-like front end for people who know Keras: the seed's Keras experiment in a few lines.
//
//   using namespace dlfs::keras;
//   Sequential model;                                  // Sequential<float>; Sequential<double> too
//   model.add(Dense(50, "sigmoid", /*input_dim=*/784));
//   model.add(BatchNormalization());
//   model.add(Dense(10, "softmax"));
//   model.compile(SGD(0.01), "categorical_crossentropy", {"accuracy"});
//   History h = model.fit(x_train, y_train, {.batch_size = 100, .epochs = 30,
//                                            .validation_data = {x_test, y_test}});
//   auto [loss, acc] = model.evaluate(x_test, y_test);
//   Tensor<float> p = model.predict(x_test);         // softmax probabilities (N, 10)
//   model.summary();
//
// fit's options are a struct filled with designated initialisers in Keras's keyword order
// (batch_size, epochs, verbose, validation_split, validation_data, shuffle), so no positional
// integer can land in the wrong place.
//
// Underneath is a dlfs net (SequentialNet, a LayerNet with the book's parameter names W1, b1,
// gamma1, ...): model.net() is a Net<T> for save_model, gradient_check or the Trainer.
// Where dlfs differs from Keras (documented so results can be compared):
//   - the final softmax is fused with the cross-entropy (SoftmaxWithLoss): net().predict() gives
//     scores, Sequential::predict() gives probabilities;
//   - Dropout is the book's (scale by 1 - rate at inference), not inverted dropout: same expected
//     activations, different raw values during training;
//   - BatchNormalization uses the book's epsilon 10e-7 (Keras 1e-3), Keras's momentum 0.99 and
//     moving-variance start of 1;
//   - the optimisers are the book's update rules with Keras's default learning rates.
//
// Names here (Dense, Dropout, BatchNormalization, SGD, Adam, History, ...) shadow dlfs's layer and
// optimiser classes; use `using namespace dlfs::keras;`, not together with `using namespace dlfs;`.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "dlfs/nets/sequential_net.hpp"
#include "dlfs/optim/optimizer.hpp"
#include "dlfs/rng.hpp"
#include "dlfs/train/history.hpp"

namespace dlfs::keras {

using dlfs::LayerSpec;
using dlfs::OptimizerSpec;
using dlfs::Shape;
using dlfs::Tensor;

// --- Layers (descriptions; the model builds them when the input shape is known) ---

// Fully connected layer: Affine + activation ("linear" or "" = none, "relu", "sigmoid", and
// "softmax" on the last layer). input_dim > 0 declares the input size (first layer only).
// kernel_initializer: see dlfs::kernel_init (glorot_uniform, he_normal, ..., or the book's
// weight_init_std "0.01", "he", "xavier"); biases start at zero.
LayerSpec Dense(std::size_t units, const std::string& activation = "linear", std::size_t input_dim = 0,
                const std::string& kernel_initializer = "glorot_uniform");
LayerSpec Activation(const std::string& activation);
LayerSpec BatchNormalization(double momentum = 0.99);
// rate: the fraction of activations dropped during training, in [0, 1).
LayerSpec Dropout(double rate);
// (N, d1, d2, ...) -> (N, d1*d2*...). input_shape (per sample, e.g. {28, 28}) on the first layer.
LayerSpec Flatten(const Shape& input_shape = {});
// keras.Input(shape=...): declares the per-sample input shape; not a layer.
LayerSpec Input(const Shape& shape);

// --- Optimisers, with Keras's default learning rates ---

// momentum > 0 selects the book's Momentum (or Nesterov when nesterov is true).
OptimizerSpec SGD(double learning_rate = 0.01, double momentum = 0.0, bool nesterov = false);
OptimizerSpec Adam(double learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.999);
OptimizerSpec RMSprop(double learning_rate = 0.001, double rho = 0.9);
OptimizerSpec Adagrad(double learning_rate = 0.001);
// compile("sgd") etc.: sgd, adam, rmsprop, adagrad with the defaults above, plus the book's
// momentum and nesterov (lr 0.01, momentum 0.9). Case-insensitive; throws std::invalid_argument
// listing the names for anything else.
OptimizerSpec optimizer_from_name(const std::string& name);

// --- Results ---

struct History {
  std::vector<int> epoch;                      // 0, 1, ..., as Keras's history.epoch
  std::vector<double> loss, accuracy;          // per epoch: mean over its batches, in training mode
  std::vector<double> val_loss, val_accuracy;  // per epoch end, inference mode; empty without validation
  // The same run in the Trainer's form (loss per iteration, accuracies per epoch with
  // test_acc = val_accuracy or NaN), for dlfs::write_history_csv and dlfs::plot_history.
  dlfs::History run;
};

// auto [loss, accuracy] = model.evaluate(x, y); accuracy is NaN unless compiled with "accuracy".
struct Evaluation {
  double loss = 0;
  double accuracy = 0;
};

// Refers to (does not copy) the caller's tensors, which must outlive the fit call.
template <class T>
struct ValidationData {
  const Tensor<T>* x = nullptr;
  const Tensor<T>* y = nullptr;
  ValidationData() = default;
  ValidationData(const Tensor<T>& x_, const Tensor<T>& y_) : x(&x_), y(&y_) {}
  explicit operator bool() const { return x != nullptr; }
};

template <class T>
struct FitOptions {
  std::size_t batch_size = 32;
  std::size_t epochs = 1;
  // 0 silent; 1 a line per epoch (and a progress bar on a terminal); 2 a line per epoch.
  int verbose = 1;
  // Keras's validation_split: the LAST fraction of x, y is held out (before any shuffling).
  double validation_split = 0;
  ValidationData<T> validation_data{};
  // true: every epoch visits the training rows in a fresh random order, ceil(N / batch_size)
  // batches with a smaller last one (Keras). false: in order.
  bool shuffle = true;
};

template <class T = float>
class Sequential {
 public:
  // seed drives the initial weights, the dropout masks and the shuffling.
  explicit Sequential(std::uint64_t seed = 0);
  // Keras's Sequential([Dense(...), ...]).
  Sequential(std::initializer_list<LayerSpec> layers, std::uint64_t seed = 0);

  // Checks the layer against the ones before it when the input shape is known (unknown names,
  // Dense after a 2-D/3-D sample without Flatten, ...). Throws std::runtime_error once the model
  // has been built (by compile with a known input shape, fit, evaluate, predict, summary, net()).
  void add(const LayerSpec& layer);

  // loss: "categorical_crossentropy" (y one-hot, (N, C)) or "sparse_categorical_crossentropy"
  // (y class indices, (N,) or (N, 1)). metrics: {} or {"accuracy"} ("acc",
  // "categorical_accuracy", "sparse_categorical_accuracy" are the same). Builds the net when the
  // input shape is known and creates a fresh optimiser. Throws std::invalid_argument naming an
  // unknown loss, metric or optimiser.
  void compile(const OptimizerSpec& optimizer, const std::string& loss, const std::vector<std::string>& metrics = {});
  void compile(const std::string& optimizer, const std::string& loss, const std::vector<std::string>& metrics = {});

  // Trains for options.epochs epochs and returns their history. x: (N, input shape...), y as the
  // loss expects. Throws std::runtime_error before compile, ShapeError for x or y of the wrong
  // shape (naming expected and found), std::invalid_argument for a label that is not a class
  // index / a row that is not one-hot, or bad options. Stops early (run.diverged) if the loss
  // becomes NaN or Inf.
  History fit(const Tensor<T>& x, const Tensor<T>& y, const FitOptions<T>& options = {});
  // Mean loss and accuracy over all rows, in inference mode, batch_size rows at a time.
  Evaluation evaluate(const Tensor<T>& x, const Tensor<T>& y, std::size_t batch_size = 32);
  // Softmax probabilities (N, classes), in inference mode.
  Tensor<T> predict(const Tensor<T>& x, std::size_t batch_size = 32);

  // Keras's table: layer (type), output shape, parameter count, and the dlfs parameter names;
  // totals count batch norm's moving mean/variance as non-trainable, as Keras does.
  std::string summary_text();
  void summary(std::ostream& os);
  void summary();  // to stdout
  std::size_t count_params();  // trainable + non-trainable

  // The underlying dlfs net (built on first use). Throws std::runtime_error if the input shape is
  // still unknown (declare it with input_dim / Input / Flatten(input_shape), or call fit first).
  SequentialNet<T>& net();
  bool built() const { return net_ != nullptr; }
  bool compiled() const { return optimizer_ != nullptr; }
  // Throws std::runtime_error before compile.
  Optimizer<T>& optimizer();
  const std::vector<LayerSpec>& layers() const { return specs_; }
  const Shape& input_shape() const { return input_shape_; }

 private:
  void build(const Shape& input_shape);
  void check_x(const Tensor<T>& x, const std::string& where);
  std::vector<std::uint32_t> labels_of(const Tensor<T>& y, std::size_t n, const std::string& where);
  Evaluation run_eval(const Tensor<T>& x, const std::vector<std::uint32_t>& labels, std::size_t begin, std::size_t end,
                      std::size_t batch_size);

  std::uint64_t seed_;
  std::vector<LayerSpec> specs_;
  Shape input_shape_;
  std::unique_ptr<SequentialNet<T>> net_;
  std::unique_ptr<Optimizer<T>> optimizer_;
  std::string loss_;
  bool track_accuracy_ = false;
  Rng rng_;                   // shuffling
  Tensor<T> xb_, tb_;         // the current batch, reused (no allocation per batch)
  std::vector<std::size_t> order_;
};

extern template class Sequential<float>;
extern template class Sequential<double>;

}  // namespace dlfs::keras
