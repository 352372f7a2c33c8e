#include "dlfs/layers/dropout.hpp"

#include <sstream>
#include <stdexcept>
#include <string>

namespace dlfs {

namespace {
std::string num_str(double v) {  // 0.5, not 0.500000
  std::ostringstream os;
  os << v;
  return os.str();
}
}  // namespace

template <class T>
Dropout<T>::Dropout(double dropout_ratio, std::uint64_t seed) : ratio_(dropout_ratio), rng_(seed) {
  if (!(dropout_ratio >= 0 && dropout_ratio < 1))
    throw std::invalid_argument("Dropout: dropout_ratio must be in [0, 1), got " + num_str(dropout_ratio));
}

template <class T>
const Tensor<T>& Dropout<T>::forward(const Tensor<T>& x, bool train) {
  const std::size_t n = x.size();
  out_.resize(x.shape());
  out_shape_ = x.shape();
  const T* px = x.data();
  T* y = out_.data();
  if (!train) {
    // return x * (1.0 - self.dropout_ratio)
    const T keep = static_cast<T>(1.0 - ratio_);
    for (std::size_t i = 0; i < n; ++i) y[i] = px[i] * keep;
    mode_ = Mode::Test;
    return out_;
  }
  if (frozen_ && has_mask_) {
    if (mask_.shape() != x.shape())
      throw ShapeError("Dropout: the frozen mask has shape " + shape_str(mask_.shape()) + ", input has shape " +
                       shape_str(x.shape()));
  } else {
    // self.mask = np.random.rand(*x.shape) > self.dropout_ratio
    mask_.resize(x.shape());
    T* m = mask_.data();
    for (std::size_t i = 0; i < n; ++i) m[i] = rng_.uniform() > ratio_ ? T(1) : T(0);
    has_mask_ = true;
  }
  const T* m = mask_.data();
  for (std::size_t i = 0; i < n; ++i) y[i] = px[i] * m[i];  // x * self.mask
  mode_ = Mode::Train;
  return out_;
}

template <class T>
const Tensor<T>& Dropout<T>::backward(const Tensor<T>& dout) {
  if (mode_ == Mode::None) throw std::runtime_error("Dropout: backward called before forward");
  expect_shape(dout.shape(), out_shape_, "Dropout backward: dout");
  const std::size_t n = dout.size();
  dx_.resize(dout.shape());
  const T* d = dout.data();
  T* dx = dx_.data();
  if (mode_ == Mode::Test) {
    const T keep = static_cast<T>(1.0 - ratio_);
    for (std::size_t i = 0; i < n; ++i) dx[i] = d[i] * keep;
  } else {
    const T* m = mask_.data();
    for (std::size_t i = 0; i < n; ++i) dx[i] = d[i] * m[i];  // dout * self.mask
  }
  return dx_;
}

template class Dropout<float>;
template class Dropout<double>;

}  // namespace dlfs
