// The methods every net shares: accuracy, the book's numerical_gradient, and lookup by name.
#include "dlfs/nets/net.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dlfs {

namespace {

template <class T>
std::size_t argmax_row(const T* r, std::size_t n) {
  return static_cast<std::size_t>(std::max_element(r, r + n) - r);
}

}  // namespace

template <class T>
double Net<T>::accuracy(const Tensor<T>& x, const Tensor<T>& t, std::size_t eval_batch) {
  if (x.ndim() < 2) throw ShapeError("accuracy: expected a batch (N, ...), got " + shape_str(x.shape()));
  const std::size_t N = x.dim(0);
  if (N == 0) throw std::invalid_argument("accuracy: the batch is empty");
  const bool onehot = t.ndim() == 2;
  if (!(t.ndim() == 1 || onehot) || t.dim(0) != N)
    throw ShapeError("accuracy: expected labels (" + std::to_string(N) + ",) or (" + std::to_string(N) +
                     ", classes), got " + shape_str(t.shape()));
  if (eval_batch == 0 || eval_batch > N) eval_batch = N;

  const std::size_t per_row = x.size() / N;
  Tensor<T> chunk;  // one buffer for all chunks (only needed when x is split)
  std::size_t correct = 0;
  for (std::size_t start = 0; start < N; start += eval_batch) {
    const std::size_t n = std::min(eval_batch, N - start);
    const Tensor<T>* in = &x;
    if (n != N) {
      Shape s = x.shape();
      s[0] = n;
      chunk.resize(s);
      std::copy(x.data() + start * per_row, x.data() + (start + n) * per_row, chunk.data());
      in = &chunk;
    }
    const Tensor<T>& y = predict(*in, false);  // (n, C)
    const std::size_t C = y.dim(1);
    if (onehot && t.dim(1) != C)
      throw ShapeError("accuracy: one-hot labels " + shape_str(t.shape()) + " do not match scores " +
                       shape_str(y.shape()));
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t pred = argmax_row(y.data() + i * C, C);
      if (onehot) {
        correct += pred == argmax_row(t.data() + (start + i) * C, C);
      } else {
        const T label = t[start + i];
        correct += label >= T(0) && static_cast<double>(label) == static_cast<double>(pred);
      }
    }
  }
  return static_cast<double>(correct) / static_cast<double>(N);
}

template <class T>
T Net<T>::numerical_gradient(const Tensor<T>& x, const Tensor<T>& t) {
  // common/gradient.py numerical_gradient, applied to loss_W = lambda W: self.loss(x, t).
  const T h = T(1e-4);
  for (Param<T>* p : params()) {
    Tensor<T>& v = p->value;
    p->grad.resize(v.shape());
    for (std::size_t i = 0; i < v.size(); ++i) {
      const T tmp_val = v[i];
      v[i] = tmp_val + h;
      const T fxh1 = loss(x, t, true);  // f(x+h)
      v[i] = tmp_val - h;
      const T fxh2 = loss(x, t, true);  // f(x-h)
      v[i] = tmp_val;                   // restored exactly, not by adding h back
      p->grad[i] = (fxh1 - fxh2) / (2 * h);
    }
  }
  return loss(x, t, true);
}

template <class T>
Param<T>& Net<T>::param(const std::string& name) {
  std::string names;
  for (Param<T>* p : params()) {
    if (p->name == name) return *p;
    names += (names.empty() ? "" : ", ") + p->name;
  }
  throw std::invalid_argument("net " + this->name() + " has no parameter '" + name + "'; it has: " + names);
}

template class Net<float>;
template class Net<double>;

}  // namespace dlfs
