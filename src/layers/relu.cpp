#include "dlfs/layers/relu.hpp"

#include "dlfs/layers/fault.hpp"

namespace dlfs {

template <class T>
const Tensor<T>& Relu<T>::forward(const Tensor<T>& x, bool) {
  out_.resize(x.shape());
  mask_.resize(x.size());
  const T* px = x.data();
  T* po = out_.data();
  for (std::size_t i = 0, n = x.size(); i < n; ++i) {
    const bool off = px[i] <= T(0);
    mask_[i] = off;
    po[i] = off ? T(0) : px[i];
  }
  return out_;
}

template <class T>
const Tensor<T>& Relu<T>::backward(const Tensor<T>& dout) {
  expect_shape(dout.shape(), out_.shape(), "Relu backward: dout");
  dx_.resize(dout.shape());
  const T* pd = dout.data();
  T* px = dx_.data();
  const bool broken = injected_fault() == Fault::ReluMask;  // tests only: forget the mask
  for (std::size_t i = 0, n = dout.size(); i < n; ++i) px[i] = mask_[i] && !broken ? T(0) : pd[i];
  return dx_;
}

template class Relu<float>;
template class Relu<double>;

}  // namespace dlfs
