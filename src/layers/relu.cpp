#include "dlfs/layers/relu.hpp"

#include "dlfs/layers/fault.hpp"

namespace dlfs {

template <class T>
const Tensor<T>& Relu<T>::forward(const Tensor<T>& x, bool) {
  out_.resize(x.shape());
  mask_.resize(x.size());
  // __restrict: the mask is bytes, which may alias anything, so without it GCC would not
  // vectorise this loop (it was a tenth of the seeds' run).
  const T* __restrict px = x.data();
  T* __restrict po = out_.data();
  std::uint8_t* __restrict pm = mask_.data();
  for (std::size_t i = 0, n = x.size(); i < n; ++i) {
    const bool off = px[i] <= T(0);
    pm[i] = off;
    po[i] = off ? T(0) : px[i];
  }
  return out_;
}

template <class T>
const Tensor<T>& Relu<T>::backward(const Tensor<T>& dout) {
  expect_shape(dout.shape(), out_.shape(), "Relu backward: dout");
  dx_.resize(dout.shape());
  const T* __restrict pd = dout.data();
  T* __restrict px = dx_.data();
  const std::uint8_t* __restrict pm = mask_.data();
  const bool broken = injected_fault() == Fault::ReluMask;  // tests only: forget the mask
  for (std::size_t i = 0, n = dout.size(); i < n; ++i) px[i] = pm[i] && !broken ? T(0) : pd[i];
  return dx_;
}

template class Relu<float>;
template class Relu<double>;

}  // namespace dlfs
