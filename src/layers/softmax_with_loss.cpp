#include "dlfs/layers/softmax_with_loss.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dlfs {

namespace {

template <class T>
std::string num_str(T v) {
  std::string s = std::to_string(static_cast<double>(v));
  // to_string prints 6 decimals; trim "3.000000" to "3" and "0.500000" to "0.5".
  if (s.find('.') != std::string::npos) {
    s.erase(s.find_last_not_of('0') + 1);
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

}  // namespace

template <class T>
T SoftmaxWithLoss<T>::forward(const Tensor<T>& x, const Tensor<T>& t) {
  expect_rank(x.shape(), 2, "SoftmaxWithLoss: scores");
  const std::size_t N = x.dim(0), C = x.dim(1);
  if (N == 0 || C == 0) throw ShapeError("SoftmaxWithLoss: empty scores " + shape_str(x.shape()));

  // Labels first, so a bad batch fails before any work.
  labels_.resize(N);
  if (t.ndim() == 2) {
    expect_shape(t.shape(), x.shape(), "SoftmaxWithLoss: one-hot labels");
    onehot_ = true;
    t_onehot_.resize(t.shape());
    std::copy(t.begin(), t.end(), t_onehot_.begin());
    for (std::size_t n = 0; n < N; ++n) {
      const T* r = t.data() + n * C;
      labels_[n] = static_cast<std::size_t>(std::max_element(r, r + C) - r);
    }
  } else if (t.ndim() == 1 && t.dim(0) == N) {
    onehot_ = false;
    for (std::size_t n = 0; n < N; ++n) {
      const T v = t[n];
      // Negative, fractional, NaN or too large: none of these is a class.
      if (!(v >= T(0) && v < static_cast<T>(C) && v == std::floor(v)))
        throw std::invalid_argument("SoftmaxWithLoss: label " + num_str(v) + " at row " + std::to_string(n) +
                                    " is not a class index in [0, " + std::to_string(C) + ")");
      labels_[n] = static_cast<std::size_t>(v);
    }
  } else {
    throw ShapeError("SoftmaxWithLoss: expected labels (" + std::to_string(N) + ",) or " + shape_str(x.shape()) +
                     ", got " + shape_str(t.shape()));
  }

  // Softmax per row, shifted by the row maximum so exp never overflows.   (N, C) -> (N, C)
  y_.resize(x.shape());
  double loss = 0;
  for (std::size_t n = 0; n < N; ++n) {
    const T* xr = x.data() + n * C;
    T* yr = y_.data() + n * C;
    const T mx = *std::max_element(xr, xr + C);
    T sum = 0;
    for (std::size_t c = 0; c < C; ++c) sum += (yr[c] = std::exp(xr[c] - mx));
    const T inv = T(1) / sum;
    for (std::size_t c = 0; c < C; ++c) yr[c] *= inv;
    // The book's cross_entropy_error: the 1e-7 keeps log away from -inf when y underflows to 0.
    loss -= std::log(static_cast<double>(yr[labels_[n]]) + 1e-7);
  }
  return static_cast<T>(loss / static_cast<double>(N));
}

template <class T>
const Tensor<T>& SoftmaxWithLoss<T>::backward() {
  if (y_.empty()) throw std::logic_error("SoftmaxWithLoss: backward called before forward");
  const std::size_t N = y_.dim(0), C = y_.dim(1);
  const T inv_n = T(1) / static_cast<T>(N);
  dx_.resize(y_.shape());
  if (onehot_) {  // (y - t) / N
    for (std::size_t i = 0; i < y_.size(); ++i) dx_[i] = (y_[i] - t_onehot_[i]) * inv_n;
  } else {        // same, with t one-hot at labels_[n]
    for (std::size_t i = 0; i < y_.size(); ++i) dx_[i] = y_[i] * inv_n;
    for (std::size_t n = 0; n < N; ++n) dx_[n * C + labels_[n]] -= inv_n;
  }
  return dx_;
}

template class SoftmaxWithLoss<float>;
template class SoftmaxWithLoss<double>;

}  // namespace dlfs
