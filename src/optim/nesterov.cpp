#include "dlfs/optim/nesterov.hpp"

#include "hyper.hpp"

namespace dlfs {

template <class T>
Nesterov<T>::Nesterov(double lr, double momentum) : momentum(momentum) {
  detail::check_lr("Nesterov", lr);
  detail::check_unit("Nesterov", "momentum", momentum);
  this->lr = lr;
}

template <class T>
void Nesterov<T>::update(const std::vector<Param<T>*>& params) {
  v_.prepare(params);
  const T lr = static_cast<T>(this->lr), m = static_cast<T>(momentum);
  const T mm = m * m, step = (1 + m) * lr;
  for (std::size_t k = 0; k < params.size(); ++k) {
    T* __restrict p = params[k]->value.data();
    const T* __restrict g = params[k]->grad.data();
    T* __restrict v = v_.at(0, k).data();
    const std::size_t n = params[k]->value.size();
    for (std::size_t i = 0; i < n; ++i) {
      p[i] += mm * v[i] - step * g[i];       // p += m*m*v; p -= (1+m)*lr*g, with the old v
      v[i] = m * v[i] - lr * g[i];           // then v *= m; v -= lr*g
    }
  }
  ++this->iter_;
}

template class Nesterov<float>;
template class Nesterov<double>;

}  // namespace dlfs
