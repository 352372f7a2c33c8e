// RMSprop as in the book's common/optimizer.py: AdaGrad whose history h decays, so old gradients
// are gradually forgotten.
//   h <- decay_rate * h + (1 - decay_rate) * g*g;  W <- W - lr * g / (sqrt(h) + 1e-7)
#pragma once
#include "dlfs/optim/optimizer.hpp"
#include "dlfs/optim/param_state.hpp"

namespace dlfs {

template <class T>
class RMSprop : public Optimizer<T> {
 public:
  explicit RMSprop(double lr = 0.01, double decay_rate = 0.99);
  std::string name() const override { return "rmsprop"; }
  void update(const std::vector<Param<T>*>& params) override;
  std::vector<Buffer<T>> state() override { return h_.buffers(); }  // "h/W1", ...
  void init_state(const std::vector<Param<T>*>& params) override { h_.prepare(params); }
  double decay_rate;

 private:
  ParamState<T> h_{"RMSprop", {"h"}};
};

}  // namespace dlfs
