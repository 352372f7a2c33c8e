// Gradient check for whole nets, as the book's gradient_check.py: Net::numerical_gradient (h=1e-4)
// against Net::gradient, as mean |backprop - numerical| per parameter.
//
// How close can they be? The book's loss is -log(y_t + 1e-7), whose exact derivative is
// (y_t / (y_t + 1e-7)) times the (y - t) / N that SoftmaxWithLoss backpropagates: a relative gap
// of 1e-7 / y_t, i.e. ~3e-7 with 3 classes. Hence the tolerance is relative to the gradient's
// size (kGradTol), not absolute; test_two_layer_net.cpp shows the gap is exactly that term.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dlfs/nets/net.hpp"
#include "dlfs/rng.hpp"

namespace dlfs::check {

struct NetBatch {
  Tensor<double> x, t;  // x (n, inputs) normal values; t class indices (n,)
};

inline NetBatch random_batch(std::size_t n, std::size_t inputs, std::size_t classes, std::uint64_t seed) {
  Rng rng(seed);
  NetBatch b{Tensor<double>({n, inputs}), Tensor<double>({n})};
  for (auto& v : b.x) v = rng.normal();
  for (auto& v : b.t) v = double(rng.randint(classes));
  return b;
}

// (name, mean |backprop - numerical|, max |numerical|) per parameter, in params() order.
struct ParamDiff {
  std::string name;
  double mean_abs_diff;
  double max_abs_grad;
};

// mean |diff| <= kGradTol * max(max |numerical|, 1e-3): the 1e-3 floor judges parameters whose
// gradient is (rightly) zero, like the biases feeding batch norm, absolutely.
inline constexpr double kGradTol = 1e-6;
inline bool grad_ok(const ParamDiff& d) { return d.mean_abs_diff <= kGradTol * std::max(d.max_abs_grad, 1e-3); }

inline std::vector<ParamDiff> gradient_diffs(Net<double>& net, const Tensor<double>& x, const Tensor<double>& t) {
  net.numerical_gradient(x, t);
  std::vector<Tensor<double>> numerical;
  for (Param<double>* p : net.params()) numerical.push_back(p->grad);
  net.gradient(x, t);
  std::vector<ParamDiff> out;
  auto ps = net.params();
  for (std::size_t k = 0; k < ps.size(); ++k) {
    ParamDiff d{ps[k]->name, 0, 0};
    for (std::size_t i = 0; i < numerical[k].size(); ++i) {
      d.mean_abs_diff += std::abs(ps[k]->grad[i] - numerical[k][i]);
      d.max_abs_grad = std::max(d.max_abs_grad, std::abs(numerical[k][i]));
    }
    d.mean_abs_diff /= double(numerical[k].size());
    out.push_back(d);
  }
  return out;
}

}  // namespace dlfs::check
