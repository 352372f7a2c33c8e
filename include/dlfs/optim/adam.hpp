// Chapter 6.1.6, Adam (arXiv:1412.6980) in the book's form, with the bias correction folded into
// the step size. iterations() advances ONCE per update, however many params there are.
//   iter += 1;  lr_t = lr * sqrt(1 - beta2^iter) / (1 - beta1^iter)
//   m += (1 - beta1) * (g - m);  v += (1 - beta2) * (g*g - v)
//   W -= lr_t * m / (sqrt(v) + 1e-7)
#pragma once
#include "dlfs/optim/optimizer.hpp"
#include "dlfs/optim/param_state.hpp"

namespace dlfs {

template <class T>
class Adam : public Optimizer<T> {
 public:
  explicit Adam(double lr = 0.001, double beta1 = 0.9, double beta2 = 0.999);
  std::string name() const override { return "adam"; }
  void update(const std::vector<Param<T>*>& params) override;
  std::vector<Buffer<T>> state() override { return mv_.buffers(); }  // "m/W1", ..., "v/W1", ...
  void init_state(const std::vector<Param<T>*>& params) override { mv_.prepare(params); }
  double beta1, beta2;

 private:
  ParamState<T> mv_{"Adam", {"m", "v"}};
};

}  // namespace dlfs
