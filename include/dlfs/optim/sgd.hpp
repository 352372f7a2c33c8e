// Chapter 6.1.2, SGD: W <- W - lr * dL/dW.
#pragma once
#include "dlfs/optim/optimizer.hpp"

namespace dlfs {

template <class T>
class SGD : public Optimizer<T> {
 public:
  explicit SGD(double lr = 0.01);
  std::string name() const override { return "sgd"; }
  void update(const std::vector<Param<T>*>& params) override;
};

}  // namespace dlfs
