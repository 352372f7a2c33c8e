// Chapter 6.1.5, AdaGrad: h <- h + g*g;  W <- W - lr * g / (sqrt(h) + 1e-7).
// The 1e-7 keeps the first steps finite where h is still 0, as in the book.
#pragma once
#include "dlfs/optim/optimizer.hpp"
#include "dlfs/optim/param_state.hpp"

namespace dlfs {

template <class T>
class AdaGrad : public Optimizer<T> {
 public:
  explicit AdaGrad(double lr = 0.01);
  std::string name() const override { return "adagrad"; }
  void update(const std::vector<Param<T>*>& params) override;
  std::vector<Buffer<T>> state() override { return h_.buffers(); }  // "h/W1", ...
  void init_state(const std::vector<Param<T>*>& params) override { h_.prepare(params); }

 private:
  ParamState<T> h_{"AdaGrad", {"h"}};
};

}  // namespace dlfs
