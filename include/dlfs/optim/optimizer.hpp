// Optimisers update parameters in place from the gradients stored next to them. They know nothing
// of layers: they see an ordered list of Params and keep their state per position in that list.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dlfs/layers/layer.hpp"

namespace dlfs {

struct OptimizerSpec {
  std::string name = "sgd";  // sgd | momentum | nesterov | adagrad | rmsprop | adam
  double lr = 0.01;
  double momentum = 0.9;     // momentum, nesterov
  double decay_rate = 0.99;  // rmsprop
  double beta1 = 0.9;        // adam
  double beta2 = 0.999;      // adam
};

template <class T>
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual std::string name() const = 0;
  // One step over all parameters (the book's update(params, grads)).
  virtual void update(const std::vector<Param<T>*>& params) = 0;
  // Per-parameter state tensors for checkpoints, named like "m/W1"; empty until the first update.
  virtual std::vector<Buffer<T>> state() { return {}; }
  // Allocates the state for these params now (zeros), so a checkpoint can be restored into the
  // tensors state() returns before the first update. Stateless optimisers have nothing to do.
  virtual void init_state(const std::vector<Param<T>*>& params) {}
  // Updates taken so far (Adam's bias-correction counter: once per update, not per parameter).
  std::uint64_t iterations() const { return iter_; }
  void set_iterations(std::uint64_t n) { iter_ = n; }
  double lr = 0.01;

 protected:
  std::uint64_t iter_ = 0;
};

// Throws std::invalid_argument naming the unknown optimiser or bad hyper-parameter.
template <class T>
std::unique_ptr<Optimizer<T>> make_optimizer(const OptimizerSpec& spec);

}  // namespace dlfs
