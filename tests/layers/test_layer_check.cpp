// The checker itself must be able to fail: a layer with a wrong derivative is caught, in dx and
// in a parameter gradient.
#include <gtest/gtest.h>

#include <cmath>

#include "layers/layer_check.hpp"

using namespace dlfs;

namespace {

// Sigmoid whose backward forgets the (1 - y) factor.
class WrongSigmoid : public Layer<double> {
 public:
  std::string type() const override { return "WrongSigmoid"; }
  const Tensor<double>& forward(const Tensor<double>& x, bool) override {
    y_ = x;
    for (auto& v : y_) v = 1 / (1 + std::exp(-v));
    return y_;
  }
  const Tensor<double>& backward(const Tensor<double>& dout) override {
    dx_ = dout;
    for (std::size_t i = 0; i < dx_.size(); ++i) dx_[i] *= y_[i];  // should be y (1 - y)
    return dx_;
  }
  Tensor<double> y_, dx_;
};

// out = a * x with a learnable per-column scale a; dx is right, da is off by a factor 2 on one
// element only, so only the parameter check can see it.
class WrongScale : public Layer<double> {
 public:
  WrongScale() : a_("a", Tensor<double>::from({0.5, -1.5, 2.0})) {}
  std::string type() const override { return "WrongScale"; }
  const Tensor<double>& forward(const Tensor<double>& x, bool) override {
    x_ = x;
    y_ = x;
    for (std::size_t i = 0; i < y_.size(); ++i) y_[i] *= a_.value[i % 3];
    return y_;
  }
  const Tensor<double>& backward(const Tensor<double>& dout) override {
    dx_ = dout;
    a_.grad.fill(0);
    for (std::size_t i = 0; i < dx_.size(); ++i) {
      dx_[i] *= a_.value[i % 3];
      a_.grad[i % 3] += dout[i] * x_[i];
    }
    a_.grad[2] *= 2;  // the bug
    return dx_;
  }
  std::vector<Param<double>*> params() override { return {&a_}; }
  Param<double> a_;
  Tensor<double> x_, y_, dx_;
};

// Right derivative, but the layer never depends on x: the check compares zeros and must refuse.
class Constant : public Layer<double> {
 public:
  std::string type() const override { return "Constant"; }
  const Tensor<double>& forward(const Tensor<double>& x, bool) override {
    y_ = Tensor<double>(x.shape(), 1.0);
    return y_;
  }
  const Tensor<double>& backward(const Tensor<double>& dout) override {
    dx_ = Tensor<double>(dout.shape());
    return dx_;
  }
  Tensor<double> y_, dx_;
};

}  // namespace

TEST(LayerCheck, CatchesAWrongDx) {
  WrongSigmoid l;
  auto r = check::check_layer(l, check::random_input({3, 4}, 5));
  EXPECT_FALSE(r.ok) << r.report;
  EXPECT_GT(r.worst, 0.1);
  EXPECT_NE(r.report.find("WrongSigmoid dx"), std::string::npos) << r.report;
}

TEST(LayerCheck, CatchesAWrongParamGradient) {
  WrongScale l;
  auto r = check::check_layer(l, check::random_input({4, 3}, 6));
  EXPECT_FALSE(r.ok) << r.report;
  EXPECT_NE(r.report.find("WrongScale da: max rel err"), std::string::npos) << r.report;
  EXPECT_NE(r.report.find("at [2]"), std::string::npos) << r.report;
  // ... and dx alone was right
  EXPECT_NE(r.report.find("WrongScale dx: max rel err"), std::string::npos);
  EXPECT_EQ(r.report.find("WrongScale dx: max rel err 0.1"), std::string::npos);
}

TEST(LayerCheck, RefusesToCompareZeros) {
  Constant l;
  auto r = check::check_layer(l, check::random_input({2, 2}, 7));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.report.find("all zero"), std::string::npos) << r.report;
}

// The test-only fault switches that `dlfs gradcheck --fault` uses really break these layers.
#include "dlfs/layers/affine.hpp"
#include "dlfs/layers/fault.hpp"
#include "dlfs/layers/relu.hpp"
#include "dlfs/layers/sigmoid.hpp"

namespace {
struct FaultGuard {
  explicit FaultGuard(Fault f) { set_injected_fault(f); }
  ~FaultGuard() { set_injected_fault(Fault::None); }
};
}  // namespace

TEST(LayerCheck, InjectedFaultsAreCaught) {
  {
    FaultGuard g(Fault::ReluMask);
    Relu<double> l;
    EXPECT_FALSE(check::check_layer(l, check::random_input({4, 5}, 1)).ok);
  }
  {
    FaultGuard g(Fault::SigmoidGrad);
    Sigmoid<double> l;
    EXPECT_FALSE(check::check_layer(l, check::random_input({4, 5}, 3)).ok);
  }
  {
    FaultGuard g(Fault::AffineBias);
    Affine<double> l(check::random_input({5, 4}, 10), check::random_input({4}, 11));
    auto r = check::check_layer(l, check::random_input({3, 5}, 12));
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.report.find("Affine db: max rel err"), std::string::npos);
  }
}
