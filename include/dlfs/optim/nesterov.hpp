// Nesterov's accelerated gradient in the form of the book's common/optimizer.py (after
// arXiv:1212.0901): the look-ahead is folded into the update, so no second gradient is needed.
// As in the book's code, the parameter moves first, with the velocity of the previous step:
//   W <- W + momentum^2 * v - (1 + momentum) * lr * g
//   v <- momentum * v - lr * g
#pragma once
#include "dlfs/optim/optimizer.hpp"
#include "dlfs/optim/param_state.hpp"

namespace dlfs {

template <class T>
class Nesterov : public Optimizer<T> {
 public:
  explicit Nesterov(double lr = 0.01, double momentum = 0.9);
  std::string name() const override { return "nesterov"; }
  void update(const std::vector<Param<T>*>& params) override;
  std::vector<Buffer<T>> state() override { return v_.buffers(); }  // "v/W1", ...
  void init_state(const std::vector<Param<T>*>& params) override { v_.prepare(params); }
  double momentum;

 private:
  ParamState<T> v_{"Nesterov", {"v"}};
};

}  // namespace dlfs
