// Chapter 5.6.3: Softmax-with-Loss, the last layer. Softmax and cross-entropy together have the
// clean derivative (y - t) / N, which is why the book fuses them.
#pragma once
#include <cstddef>
#include <vector>

#include "dlfs/layers/layer.hpp"

namespace dlfs {

template <class T>
class SoftmaxWithLoss : public LossLayer<T> {
 public:
  std::string type() const override { return "SoftmaxWithLoss"; }
  // x: scores (N, C). t: class indices (N,) or one-hot (N, C). Returns the mean cross-entropy
  // -1/N sum log(y[n, t_n] + 1e-7); a one-hot t is reduced to its argmax, as the book's
  // cross_entropy_error does. Throws ShapeError on a shape mismatch and std::invalid_argument
  // on a label that is not a class index in [0, C).
  T forward(const Tensor<T>& x, const Tensor<T>& t) override;
  // dx = (y - t) / N: (N, C)
  const Tensor<T>& backward() override;
  const Tensor<T>& output() const override { return y_; }

 private:
  Tensor<T> y_, dx_;                // (N, C)
  Tensor<T> t_onehot_;              // the one-hot labels of the last forward, if given so
  std::vector<std::size_t> labels_; // the class index per row (argmax of a one-hot t)
  bool onehot_ = false;
};

extern template class SoftmaxWithLoss<float>;
extern template class SoftmaxWithLoss<double>;

}  // namespace dlfs
