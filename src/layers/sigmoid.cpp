#include "dlfs/layers/sigmoid.hpp"

#include <cmath>

#include "dlfs/layers/fault.hpp"

namespace dlfs {

template <class T>
const Tensor<T>& Sigmoid<T>::forward(const Tensor<T>& x, bool) {
  out_.resize(x.shape());
  const T* px = x.data();
  T* py = out_.data();
  // exp(-x) overflows to inf for very negative x, and 1 / (1 + inf) is exactly 0: no NaN.
  for (std::size_t i = 0, n = x.size(); i < n; ++i) py[i] = T(1) / (T(1) + std::exp(-px[i]));
  return out_;
}

template <class T>
const Tensor<T>& Sigmoid<T>::backward(const Tensor<T>& dout) {
  expect_shape(dout.shape(), out_.shape(), "Sigmoid backward: dout");
  dx_.resize(dout.shape());
  const T* pd = dout.data();
  const T* py = out_.data();
  T* px = dx_.data();
  if (injected_fault() == Fault::SigmoidGrad) {  // tests only: forget the (1 - y) factor
    for (std::size_t i = 0, n = dout.size(); i < n; ++i) px[i] = pd[i] * py[i];
    return dx_;
  }
  for (std::size_t i = 0, n = dout.size(); i < n; ++i) px[i] = pd[i] * (T(1) - py[i]) * py[i];
  return dx_;
}

template class Sigmoid<float>;
template class Sigmoid<double>;

}  // namespace dlfs
