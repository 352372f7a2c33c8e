#include "dlfs/train/gradcheck.hpp"

#include <algorithm>
#include <cmath>

#include "dlfs/layers/dropout.hpp"
#include "dlfs/nets/layer_net.hpp"

namespace dlfs {

template <class T>
void freeze_dropout(Net<T>& net, bool frozen) {
  auto* layered = dynamic_cast<LayerNet<T>*>(&net);
  if (!layered) return;
  for (const auto& layer : layered->layers())
    if (auto* d = dynamic_cast<Dropout<T>*>(layer.get())) d->freeze_mask(frozen);
}

template <class T>
std::vector<GradCheckRow> gradient_check(Net<T>& net, const Tensor<T>& x, const Tensor<T>& t) {
  // One training-mode pass draws the dropout masks that both gradients then share.
  freeze_dropout(net, false);
  net.loss(x, t, true);
  freeze_dropout(net, true);

  net.numerical_gradient(x, t);
  std::vector<Tensor<T>> numerical;
  for (Param<T>* p : net.params()) numerical.push_back(p->grad);
  net.gradient(x, t);
  freeze_dropout(net, false);

  std::vector<GradCheckRow> rows;
  auto params = net.params();
  for (std::size_t k = 0; k < params.size(); ++k) {
    const Tensor<T>& b = params[k]->grad;
    const Tensor<T>& n = numerical[k];
    GradCheckRow r{params[k]->name, b.shape(), 0, 0};
    for (std::size_t i = 0; i < b.size(); ++i) {
      double d = std::abs(double(b[i]) - double(n[i]));
      r.mean_abs_diff += d;
      r.max_rel_err = std::max(r.max_rel_err, d / std::max(std::abs(double(b[i])) + std::abs(double(n[i])), 1e-8));
    }
    if (b.size()) r.mean_abs_diff /= double(b.size());
    rows.push_back(r);
  }
  return rows;
}

template void freeze_dropout<float>(Net<float>&, bool);
template void freeze_dropout<double>(Net<double>&, bool);
template std::vector<GradCheckRow> gradient_check<float>(Net<float>&, const Tensor<float>&, const Tensor<float>&);
template std::vector<GradCheckRow> gradient_check<double>(Net<double>&, const Tensor<double>&, const Tensor<double>&);

}  // namespace dlfs
