// Chapter 5.5.2: Sigmoid. Backward needs only the output: dy/dx = y (1 - y).
#pragma once
#include "dlfs/layers/layer.hpp"

namespace dlfs {

template <class T>
class Sigmoid : public Layer<T> {
 public:
  std::string type() const override { return "Sigmoid"; }
  const Tensor<T>& forward(const Tensor<T>& x, bool train) override;  // any shape -> same shape
  const Tensor<T>& backward(const Tensor<T>& dout) override;          // same shape as x

 private:
  Tensor<T> out_, dx_;  // out_ is the book's self.out, kept for backward
};

extern template class Sigmoid<float>;
extern template class Sigmoid<double>;

}  // namespace dlfs
