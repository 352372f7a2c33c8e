#include "dlfs/optim/momentum.hpp"

#include "hyper.hpp"

namespace dlfs {

template <class T>
Momentum<T>::Momentum(double lr, double momentum) : momentum(momentum) {
  detail::check_lr("Momentum", lr);
  detail::check_unit("Momentum", "momentum", momentum);
  this->lr = lr;
}

template <class T>
void Momentum<T>::update(const std::vector<Param<T>*>& params) {
  v_.prepare(params);
  const T lr = static_cast<T>(this->lr), m = static_cast<T>(momentum);
  for (std::size_t k = 0; k < params.size(); ++k) {
    T* __restrict p = params[k]->value.data();
    const T* __restrict g = params[k]->grad.data();
    T* __restrict v = v_.at(0, k).data();
    const std::size_t n = params[k]->value.size();
    for (std::size_t i = 0; i < n; ++i) {
      v[i] = m * v[i] - lr * g[i];
      p[i] += v[i];
    }
  }
  ++this->iter_;
}

template class Momentum<float>;
template class Momentum<double>;

}  // namespace dlfs
