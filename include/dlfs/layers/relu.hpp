// Chapter 5.5.1: ReLU. Forward remembers where x <= 0 (the mask); backward blocks dout there.
// An inference forward (train = false) skips the mask; out is 0 exactly where x <= 0, so a
// backward after it reads the same mask off the output.
#pragma once
#include <cstdint>
#include <vector>

#include "dlfs/layers/layer.hpp"

namespace dlfs {

template <class T>
class Relu : public Layer<T> {
 public:
  std::string type() const override { return "Relu"; }
  const Tensor<T>& forward(const Tensor<T>& x, bool train) override;  // any shape -> same shape
  const Tensor<T>& backward(const Tensor<T>& dout) override;          // same shape as x

 private:
  std::vector<std::uint8_t> mask_;  // 1 where x <= 0, as the book's self.mask (training only)
  bool mask_valid_ = false;
  Tensor<T> out_, dx_;
};

extern template class Relu<float>;
extern template class Relu<double>;

}  // namespace dlfs
