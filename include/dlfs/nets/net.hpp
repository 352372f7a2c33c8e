// The net interface, with the book's method names. Gradients live next to each parameter
// (Param::grad): gradient() and numerical_gradient() both fill them and return the loss, so a
// gradient check is "numerical_gradient, copy, gradient, compare" for any net.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dlfs/layers/layer.hpp"
#include "dlfs/tensor.hpp"

namespace dlfs {

template <class T>
class Net {
 public:
  virtual ~Net() = default;
  // The registry name: "two-layer", "two-layer-sigmoid", "multi-layer", ...
  virtual std::string name() const = 0;
  // Scores (before softmax) for a batch; train selects dropout/batch-norm training behaviour.
  virtual const Tensor<T>& predict(const Tensor<T>& x, bool train = false) = 0;
  // Cross-entropy loss of the batch (plus the weight-decay penalty where the net has one).
  virtual T loss(const Tensor<T>& x, const Tensor<T>& t, bool train = true) = 0;
  // Fraction of rows whose argmax equals the label (t: indices or one-hot). Runs in inference
  // mode, in chunks of eval_batch rows, without building gradients.
  virtual double accuracy(const Tensor<T>& x, const Tensor<T>& t, std::size_t eval_batch = 1000);
  // Backprop: fills every Param::grad, returns the loss.
  virtual T gradient(const Tensor<T>& x, const Tensor<T>& t) = 0;
  // Central differences (h = 1e-4) on every element of every parameter, exactly as the book:
  // fills every Param::grad, returns the loss at the unperturbed parameters.
  virtual T numerical_gradient(const Tensor<T>& x, const Tensor<T>& t);
  // The parameters in a fixed order, with the book's names (W1, b1, W2, b2, ...).
  virtual std::vector<Param<T>*> params() = 0;
  // Non-trainable state that model files keep (running means and variances).
  virtual std::vector<Buffer<T>> buffers() { return {}; }
  // The architecture, enough to rebuild the net: {"net": name(), "input_size": ..., ...}.
  virtual nlohmann::json config() const = 0;

  Param<T>& param(const std::string& name);
};

}  // namespace dlfs
