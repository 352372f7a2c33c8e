#include "dlfs/optim/adam.hpp"

#include <cmath>

#include "hyper.hpp"

namespace dlfs {

template <class T>
Adam<T>::Adam(double lr, double beta1, double beta2) : beta1(beta1), beta2(beta2) {
  detail::check_lr("Adam", lr);
  detail::check_unit("Adam", "beta1", beta1);
  detail::check_unit("Adam", "beta2", beta2);
  this->lr = lr;
}

template <class T>
void Adam<T>::update(const std::vector<Param<T>*>& params) {
  mv_.prepare(params);
  // Once per update, before the loop over params (a per-param counter would be a bug: with 4
  // params the bias correction would run 4x too fast).
  ++this->iter_;
  const double t = static_cast<double>(this->iter_);
  const T lr_t = static_cast<T>(this->lr * std::sqrt(1.0 - std::pow(beta2, t)) / (1.0 - std::pow(beta1, t)));
  const T b1 = static_cast<T>(1 - beta1), b2 = static_cast<T>(1 - beta2), eps = static_cast<T>(1e-7);
  for (std::size_t k = 0; k < params.size(); ++k) {
    T* __restrict p = params[k]->value.data();
    const T* __restrict g = params[k]->grad.data();
    T* __restrict m = mv_.at(0, k).data();
    T* __restrict v = mv_.at(1, k).data();
    const std::size_t n = params[k]->value.size();
    for (std::size_t i = 0; i < n; ++i) {
      m[i] += b1 * (g[i] - m[i]);
      v[i] += b2 * (g[i] * g[i] - v[i]);
      p[i] -= lr_t * m[i] / (std::sqrt(v[i]) + eps);
    }
  }
}

template class Adam<float>;
template class Adam<double>;

}  // namespace dlfs
