#include "dlfs/gradient.hpp"

namespace dlfs {

template <class T>
T numerical_diff(const std::type_identity_t<std::function<T(T)>>& f, T x) {
  const T h = T(1e-4);
  return (f(x + h) - f(x - h)) / (T(2) * h);
}

template <class T>
void numerical_gradient_into(const std::type_identity_t<TensorFn<T>>& f, Tensor<T>& x, Tensor<T>& grad) {
  const T h = T(1e-4);
  grad.resize(x.shape());
  for (std::size_t i = 0; i < x.size(); ++i) {
    // Restoring the saved value (not computing tmp + h - h) keeps x exactly as it was.
    const T tmp = x[i];
    struct Restore {
      T& slot;
      T value;
      ~Restore() { slot = value; }
    } restore{x[i], tmp};
    x[i] = tmp + h;
    const T fxh1 = f(x);
    x[i] = tmp - h;
    const T fxh2 = f(x);
    grad[i] = (fxh1 - fxh2) / (T(2) * h);
  }
}

template <class T>
Tensor<T> numerical_gradient(const std::type_identity_t<TensorFn<T>>& f, Tensor<T>& x) {
  Tensor<T> grad;
  numerical_gradient_into<T>(f, x, grad);
  return grad;
}

template <class T>
Tensor<T> gradient_descent(const std::type_identity_t<TensorFn<T>>& f, Tensor<T> init_x, std::type_identity_t<T> lr,
                           std::size_t step_num, std::vector<Tensor<T>>* history) {
  Tensor<T> x = std::move(init_x);
  Tensor<T> grad;
  if (history) {
    history->clear();
    history->reserve(step_num);
  }
  for (std::size_t step = 0; step < step_num; ++step) {
    if (history) history->push_back(x);
    numerical_gradient_into<T>(f, x, grad);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] -= lr * grad[i];
  }
  return x;
}

#define DLFS_INSTANTIATE(T)                                                                                   \
  template T numerical_diff<T>(const std::type_identity_t<std::function<T(T)>>&, T);                          \
  template void numerical_gradient_into<T>(const std::type_identity_t<TensorFn<T>>&, Tensor<T>&, Tensor<T>&); \
  template Tensor<T> numerical_gradient<T>(const std::type_identity_t<TensorFn<T>>&, Tensor<T>&);             \
  template Tensor<T> gradient_descent<T>(const std::type_identity_t<TensorFn<T>>&, Tensor<T>,                 \
                                         std::type_identity_t<T>, std::size_t, std::vector<Tensor<T>>*);

DLFS_INSTANTIATE(float)
DLFS_INSTANTIATE(double)
#undef DLFS_INSTANTIATE

}  // namespace dlfs
