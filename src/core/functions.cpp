#include "dlfs/functions.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dlfs {

namespace {

template <class T, class F>
Tensor<T> map(const Tensor<T>& x, F f) {
  Tensor<T> out(x.shape());
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = f(x[i]);
  return out;
}

// exp(-x) overflows for x below about -710 (double) or -88 (float); exp(x) / (1 + exp(x)) is the
// same value and only ever takes exp of a non-positive number.
template <class T>
T sigmoid1(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  T e = std::exp(x);
  return e / (T(1) + e);
}

// One softmax row: subtracting the max leaves the result unchanged (exp(a - c) / sum exp(a - c))
// but keeps every exp argument <= 0, so nothing overflows.
template <class T>
void softmax_row(const T* x, T* y, std::size_t n) {
  if (n == 0) return;
  T c = *std::max_element(x, x + n);
  T sum = 0;
  for (std::size_t j = 0; j < n; ++j) {
    y[j] = std::exp(x[j] - c);
    sum += y[j];
  }
  for (std::size_t j = 0; j < n; ++j) y[j] /= sum;
}

}  // namespace

template <class T>
Tensor<T> step_function(const Tensor<T>& x) {
  return map(x, [](T v) { return v > T(0) ? T(1) : T(0); });
}

template <class T>
Tensor<T> sigmoid(const Tensor<T>& x) {
  Tensor<T> out;
  sigmoid_into(x, out);
  return out;
}

template <class T>
void sigmoid_into(const Tensor<T>& x, Tensor<T>& out) {
  out.resize(x.shape());
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = sigmoid1(x[i]);
}

template <class T>
Tensor<T> sigmoid_grad(const Tensor<T>& x) {
  return map(x, [](T v) {
    T s = sigmoid1(v);
    return (T(1) - s) * s;
  });
}

template <class T>
Tensor<T> relu(const Tensor<T>& x) {
  return map(x, [](T v) { return std::max(T(0), v); });
}

template <class T>
Tensor<T> relu_grad(const Tensor<T>& x) {
  return map(x, [](T v) { return v >= T(0) ? T(1) : T(0); });
}

template <class T>
Tensor<T> identity_function(const Tensor<T>& x) {
  return x;
}

template <class T>
Tensor<T> tanh_fn(const Tensor<T>& x) {
  return map(x, [](T v) { return std::tanh(v); });
}

template <class T>
Tensor<T> softmax(const Tensor<T>& x) {
  Tensor<T> out;
  softmax_into(x, out);
  return out;
}

template <class T>
void softmax_into(const Tensor<T>& x, Tensor<T>& out) {
  if (x.ndim() != 1 && x.ndim() != 2)
    throw ShapeError("softmax: expected a 1-D vector or a 2-D batch (N, C), got shape " + shape_str(x.shape()));
  out.resize(x.shape());
  const std::size_t rows = x.ndim() == 1 ? 1 : x.dim(0);
  const std::size_t cols = x.dim(-1);
  for (std::size_t i = 0; i < rows; ++i) softmax_row(x.data() + i * cols, out.data() + i * cols, cols);
}

template <class T>
T sum_squares_error(const Tensor<T>& y, const Tensor<T>& t) {
  expect_shape(t.shape(), y.shape(), "sum_squares_error (t must have y's shape)");
  T s = 0;
  for (std::size_t i = 0; i < y.size(); ++i) s += (y[i] - t[i]) * (y[i] - t[i]);
  return T(0.5) * s;
}

bool targets_are_one_hot(const Shape& y, const Shape& t, const std::string& where) {
  if (y.size() != 1 && y.size() != 2)
    throw ShapeError(where + ": expected y as a 1-D vector or a 2-D batch (N, C), got " + shape_str(y));
  if (t == y) return true;
  const std::size_t rows = y.size() == 1 ? 1 : y[0];
  if (t == Shape{rows}) return false;
  throw ShapeError(where + ": expected t one-hot " + shape_str(y) + " or class indices " + shape_str(Shape{rows}) +
                   " for y " + shape_str(y) + ", got " + shape_str(t));
}

template <class T>
std::size_t class_index(const Tensor<T>& t, std::size_t row, std::size_t classes, const std::string& where) {
  const T v = t[row];
  // Written so that NaN fails too (every comparison with NaN is false).
  if (!(v >= T(0) && v < static_cast<T>(classes) && v == std::floor(v)))
    throw std::invalid_argument(where + ": label " + std::to_string(v) + " in row " + std::to_string(row) +
                                " is not a class index in [0, " + std::to_string(classes) + ")");
  return static_cast<std::size_t>(v);
}

template <class T>
T cross_entropy_error(const Tensor<T>& y, const Tensor<T>& t) {
  const std::string where = "cross_entropy_error";
  const bool one_hot = targets_are_one_hot(y.shape(), t.shape(), where);
  const std::size_t batch = y.ndim() == 1 ? 1 : y.dim(0);
  const std::size_t classes = y.dim(-1);
  if (batch == 0 || classes == 0) throw std::invalid_argument(where + ": empty batch " + shape_str(y.shape()));
  // delta keeps log finite when a probability underflows to 0, exactly as the book's 1e-7.
  const T delta = T(1e-7);
  T sum = 0;
  if (one_hot) {
    for (std::size_t i = 0; i < y.size(); ++i) sum += t[i] * std::log(y[i] + delta);
  } else {
    for (std::size_t i = 0; i < batch; ++i)
      sum += std::log(y[i * classes + class_index(t, i, classes, where)] + delta);
  }
  return -sum / static_cast<T>(batch);
}

#define DLFS_INSTANTIATE(T)                                                                              \
  template Tensor<T> step_function<T>(const Tensor<T>&);                                                 \
  template Tensor<T> sigmoid<T>(const Tensor<T>&);                                                       \
  template void sigmoid_into<T>(const Tensor<T>&, Tensor<T>&);                                           \
  template Tensor<T> sigmoid_grad<T>(const Tensor<T>&);                                                  \
  template Tensor<T> relu<T>(const Tensor<T>&);                                                          \
  template Tensor<T> relu_grad<T>(const Tensor<T>&);                                                     \
  template Tensor<T> identity_function<T>(const Tensor<T>&);                                             \
  template Tensor<T> tanh_fn<T>(const Tensor<T>&);                                                       \
  template Tensor<T> softmax<T>(const Tensor<T>&);                                                       \
  template void softmax_into<T>(const Tensor<T>&, Tensor<T>&);                                           \
  template T sum_squares_error<T>(const Tensor<T>&, const Tensor<T>&);                                   \
  template T cross_entropy_error<T>(const Tensor<T>&, const Tensor<T>&);                                 \
  template std::size_t class_index<T>(const Tensor<T>&, std::size_t, std::size_t, const std::string&);

DLFS_INSTANTIATE(float)
DLFS_INSTANTIATE(double)
#undef DLFS_INSTANTIATE

}  // namespace dlfs
