// A finite-difference checker for layers, header-only so every test binary can use it:
//   #include "layers/layer_check.hpp"
//   auto r = dlfs::check::check_layer(layer, dlfs::check::random_input({2, 3, 4, 4}, 7));
//   EXPECT_TRUE(r.ok) << r.report;
//
// The scalar it differentiates is f(x, params) = sum(forward(x) * R) for a fixed random R, so
// backward(R) must give df/dx and df/dparam. It checks dx AND every parameter's gradient by
// central differences in double precision, and refuses to pass a check that compares zeros with
// zeros (a gradient check that cannot fail proves nothing).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "dlfs/layers/layer.hpp"
#include "dlfs/rng.hpp"
#include "dlfs/tensor.hpp"

namespace dlfs::check {

struct LayerCheckOptions {
  double h = 1e-5;     // central-difference step
  double tol = 1e-7;   // largest accepted relative error per element
  // Relative error is |a - n| / max(|a|, |n|, floor): elements whose gradient is much smaller than
  // the floor are compared absolutely (to tol * floor), where round-off would swamp a ratio.
  double floor = 1e-2;
  bool train = true;   // passed to every forward
  std::uint64_t seed = 12345;  // for R
  bool check_dx = true;
  // Called before every forward, e.g. to re-seed a Dropout layer so that each forward draws the
  // same mask (the function must stay fixed while it is differentiated).
  std::function<void()> before_forward;
};

struct LayerCheckResult {
  bool ok = true;
  double worst = 0;    // largest relative error seen over all checked tensors
  std::string report;  // one line per checked tensor, plus the reason for any failure
};

// Normal values pushed away from zero, both signs: |x| >= margin. Keeps ReLU-like kinks and
// max-pooling ties out of the h-neighbourhood, so a failure means a wrong backward.
inline Tensor<double> random_input(const Shape& shape, std::uint64_t seed, double margin = 0.05) {
  Rng rng(seed);
  Tensor<double> x(shape);
  for (auto& v : x) {
    double z = rng.normal();
    v = z < 0 ? z - margin : z + margin;
  }
  return x;
}

namespace detail {

inline double sum_product(const Tensor<double>& y, const Tensor<double>& r) {
  double s = 0;
  for (std::size_t i = 0; i < y.size(); ++i) s += y[i] * r[i];
  return s;
}

// Compares analytic a with numerical n element by element and appends a line to the result.
inline void compare(const std::string& what, const Tensor<double>& a, const Tensor<double>& n,
                    const LayerCheckOptions& o, LayerCheckResult& res) {
  std::ostringstream line;
  if (a.shape() != n.shape()) {
    res.ok = false;
    line << what << ": analytic gradient has shape " << shape_str(a.shape()) << ", expected " << shape_str(n.shape());
    res.report += line.str() + "\n";
    return;
  }
  double worst = 0, max_num = 0;
  std::size_t worst_i = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    double den = std::max({std::abs(a[i]), std::abs(n[i]), o.floor});
    double e = std::abs(a[i] - n[i]) / den;
    if (!(e <= worst)) {  // also catches NaN
      worst = std::isnan(e) ? INFINITY : e;
      worst_i = i;
    }
    max_num = std::max(max_num, std::abs(n[i]));
  }
  res.worst = std::max(res.worst, worst);
  line << what << ": max rel err " << worst;
  if (!a.empty()) line << " at [" << worst_i << "] (backprop " << a[worst_i] << ", numerical " << n[worst_i] << ")";
  if (worst > o.tol) {
    res.ok = false;
    line << "  FAIL (tol " << o.tol << ")";
  }
  if (!a.empty() && max_num < 1e-6) {
    res.ok = false;
    line << "  FAIL: the numerical gradient is all zero, so this check proves nothing";
  }
  res.report += line.str() + "\n";
}

}  // namespace detail

// Checks layer.backward against central differences of f = sum(layer.forward(x) * R).
// x is left unchanged; parameters are restored exactly after each perturbation.
inline LayerCheckResult check_layer(Layer<double>& layer, Tensor<double> x, const LayerCheckOptions& o = {}) {
  LayerCheckResult res;
  auto fwd = [&](const Tensor<double>& in) -> const Tensor<double>& {
    if (o.before_forward) o.before_forward();
    return layer.forward(in, o.train);
  };

  // Analytic gradients, copied before any further forward overwrites the layer's buffers.
  const Tensor<double>& y = fwd(x);
  Tensor<double> R = random_input(y.shape(), o.seed, 0.0);
  Tensor<double> dx = layer.backward(R);
  std::vector<Param<double>*> params = layer.params();
  std::vector<Tensor<double>> grads;
  for (auto* p : params) grads.push_back(p->grad);

  auto f = [&]() { return detail::sum_product(fwd(x), R); };
  auto numerical = [&](Tensor<double>& v) {
    Tensor<double> g(v.shape());
    for (std::size_t i = 0; i < v.size(); ++i) {
      const double keep = v[i];
      v[i] = keep + o.h;
      const double f1 = f();
      v[i] = keep - o.h;
      const double f2 = f();
      v[i] = keep;
      g[i] = (f1 - f2) / (2 * o.h);
    }
    return g;
  };

  if (o.check_dx) detail::compare(layer.type() + " dx", dx, numerical(x), o, res);
  for (std::size_t k = 0; k < params.size(); ++k)
    detail::compare(layer.type() + " d" + params[k]->name, grads[k], numerical(params[k]->value), o, res);
  return res;
}

// The same for a loss layer: the scalar is the loss itself, and backward() is d loss / d x.
inline LayerCheckResult check_loss_layer(LossLayer<double>& layer, Tensor<double> x, const Tensor<double>& t,
                                         const LayerCheckOptions& o = {}) {
  LayerCheckResult res;
  layer.forward(x, t);
  Tensor<double> dx = layer.backward();
  Tensor<double> g(x.shape());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double keep = x[i];
    x[i] = keep + o.h;
    const double f1 = layer.forward(x, t);
    x[i] = keep - o.h;
    const double f2 = layer.forward(x, t);
    x[i] = keep;
    g[i] = (f1 - f2) / (2 * o.h);
  }
  detail::compare(layer.type() + " dx", dx, g, o, res);
  return res;
}

}  // namespace dlfs::check
