#include "dlfs/optim/sgd.hpp"

#include "hyper.hpp"

namespace dlfs {

template <class T>
SGD<T>::SGD(double lr) {
  detail::check_lr("SGD", lr);
  this->lr = lr;
}

template <class T>
void SGD<T>::update(const std::vector<Param<T>*>& params) {
  const T lr = static_cast<T>(this->lr);
  for (const Param<T>* prm : params)  // check all first, so a bad list leaves every param untouched
    if (prm->grad.shape() != prm->value.shape())
      expect_shape(prm->grad.shape(), prm->value.shape(), "SGD: gradient of " + prm->name);  // throws
  for (Param<T>* prm : params) {
    T* __restrict p = prm->value.data();
    const T* __restrict g = prm->grad.data();
    const std::size_t n = prm->value.size();
    for (std::size_t i = 0; i < n; ++i) p[i] -= lr * g[i];
  }
  ++this->iter_;
}

template class SGD<float>;
template class SGD<double>;

}  // namespace dlfs
