#include "dlfs/optim/adagrad.hpp"

#include <cmath>

#include "hyper.hpp"

namespace dlfs {

template <class T>
AdaGrad<T>::AdaGrad(double lr) {
  detail::check_lr("AdaGrad", lr);
  this->lr = lr;
}

template <class T>
void AdaGrad<T>::update(const std::vector<Param<T>*>& params) {
  h_.prepare(params);
  const T lr = static_cast<T>(this->lr), eps = static_cast<T>(1e-7);
  for (std::size_t k = 0; k < params.size(); ++k) {
    T* __restrict p = params[k]->value.data();
    const T* __restrict g = params[k]->grad.data();
    T* __restrict h = h_.at(0, k).data();
    const std::size_t n = params[k]->value.size();
    for (std::size_t i = 0; i < n; ++i) {
      h[i] += g[i] * g[i];
      p[i] -= lr * g[i] / (std::sqrt(h[i]) + eps);
    }
  }
  ++this->iter_;
}

template class AdaGrad<float>;
template class AdaGrad<double>;

}  // namespace dlfs
