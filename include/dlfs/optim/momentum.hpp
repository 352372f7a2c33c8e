// Chapter 6.1.4, Momentum: v <- momentum * v - lr * g;  W <- W + v.
#pragma once
#include "dlfs/optim/optimizer.hpp"
#include "dlfs/optim/param_state.hpp"

namespace dlfs {

template <class T>
class Momentum : public Optimizer<T> {
 public:
  explicit Momentum(double lr = 0.01, double momentum = 0.9);
  std::string name() const override { return "momentum"; }
  void update(const std::vector<Param<T>*>& params) override;
  std::vector<Buffer<T>> state() override { return v_.buffers(); }  // "v/W1", ...
  void init_state(const std::vector<Param<T>*>& params) override { v_.prepare(params); }
  double momentum;

 private:
  ParamState<T> v_{"Momentum", {"v"}};
};

}  // namespace dlfs
