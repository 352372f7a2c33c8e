#include "dlfs/optim/rmsprop.hpp"

#include <cmath>

#include "hyper.hpp"

namespace dlfs {

template <class T>
RMSprop<T>::RMSprop(double lr, double decay_rate) : decay_rate(decay_rate) {
  detail::check_lr("RMSprop", lr);
  detail::check_unit("RMSprop", "decay_rate", decay_rate);
  this->lr = lr;
}

template <class T>
void RMSprop<T>::update(const std::vector<Param<T>*>& params) {
  h_.prepare(params);
  const T lr = static_cast<T>(this->lr), dr = static_cast<T>(decay_rate), eps = static_cast<T>(1e-7);
  for (std::size_t k = 0; k < params.size(); ++k) {
    T* __restrict p = params[k]->value.data();
    const T* __restrict g = params[k]->grad.data();
    T* __restrict h = h_.at(0, k).data();
    const std::size_t n = params[k]->value.size();
    for (std::size_t i = 0; i < n; ++i) {
      h[i] = dr * h[i] + (1 - dr) * g[i] * g[i];
      p[i] -= lr * g[i] / (std::sqrt(h[i]) + eps);
    }
  }
  ++this->iter_;
}

template class RMSprop<float>;
template class RMSprop<double>;

}  // namespace dlfs
