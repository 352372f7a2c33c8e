// Chapter 6.3: Batch Normalization (Ioffe & Szegedy, arXiv:1502.03167), as the book's
// common/layers.py BatchNormalization. Per feature, over the batch:
//   mu = mean(x), xc = x - mu, var = mean(xc^2), std = sqrt(var + 10e-7), xn = xc / std,
//   out = gamma * xn + beta
// Training uses the batch's statistics and folds them into running_mean/running_var
// (running = momentum * running + (1 - momentum) * batch); inference uses the running ones.
// A 4-D input (N, C, H, W) is viewed as (N, C*H*W) exactly as the book does, so each pixel of each
// channel is a feature of its own and features must equal C*H*W.
#pragma once
#include <cstddef>

#include "dlfs/layers/layer.hpp"

namespace dlfs {

template <class T>
class BatchNormalization : public Layer<T> {
 public:
  // gamma = ones(features), beta = zeros(features); running_mean/var = zeros(features) (the book
  // creates them lazily at the first forward; their size is known here, so they exist from the
  // start and a model file can be loaded into them before any forward).
  // Throws std::invalid_argument unless features > 0 and momentum is in [0, 1].
  BatchNormalization(std::size_t features, double momentum = 0.9);

  std::string type() const override { return "BatchNormalization"; }
  // (N, D) or (N, C, H, W) with C*H*W = D -> same shape. Training needs N >= 1.
  const Tensor<T>& forward(const Tensor<T>& x, bool train) override;
  // dout in the output's shape -> dx in the input's shape; fills gamma.grad and beta.grad.
  // After an inference forward it differentiates the inference function (fixed statistics).
  const Tensor<T>& backward(const Tensor<T>& dout) override;
  std::vector<Param<T>*> params() override { return {&gamma_, &beta_}; }
  std::vector<Buffer<T>> buffers() override {
    return {{"running_mean", &running_mean_}, {"running_var", &running_var_}};
  }

  std::size_t features() const { return D_; }
  double momentum() const { return momentum_; }
  Param<T>& gamma() { return gamma_; }
  Param<T>& beta() { return beta_; }
  Tensor<T>& running_mean() { return running_mean_; }
  Tensor<T>& running_var() { return running_var_; }

 private:
  std::size_t D_;
  double momentum_;
  Param<T> gamma_, beta_;                  // (D,)
  Tensor<T> running_mean_, running_var_;   // (D,)

  // Cached by forward for backward.
  enum class Mode { None, Train, Test };
  Mode mode_ = Mode::None;
  Shape input_shape_;
  std::size_t batch_size_ = 0;
  Tensor<T> xc_, xn_;       // (N, D)
  Tensor<T> std_, inv_std_;  // (D,): sqrt(var + 10e-7) of the batch (train) or running var (test), 1/std
  Tensor<T> mu_, var_;       // (D,) batch statistics
  Tensor<T> dsum_, coef_a_, coef_c_, dmu_;  // (D,) backward scratch
  Tensor<T> out_, dx_;
};

extern template class BatchNormalization<float>;
extern template class BatchNormalization<double>;

}  // namespace dlfs
