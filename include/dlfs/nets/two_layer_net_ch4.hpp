// The chapter-4 TwoLayerNet (ch04/two_layer_net.py): affine -> sigmoid -> affine -> softmax,
// written out by hand rather than built from layers, with the book's analytic gradient. Registry
// name "two-layer-sigmoid" (chapter 5's layered ReLU net is "two-layer").
//
// predict returns the scores a2 (before softmax), as the Net interface asks of every net, whereas
// the book's ch.4 predict returns y = softmax(a2). Softmax is monotonic in each row, so accuracy's
// argmax is the same either way; loss and gradient apply the softmax themselves, and probabilities()
// gives the book's y after a loss or gradient call.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "dlfs/nets/net.hpp"

namespace dlfs {

template <class T>
class TwoLayerNetCh4 : public Net<T> {
 public:
  TwoLayerNetCh4(std::size_t input_size, std::size_t hidden_size, std::size_t output_size,
                 double weight_init_std = 0.01, std::uint64_t seed = 0);

  std::string name() const override { return "two-layer-sigmoid"; }
  // x (N, input_size) -> scores a2 (N, output_size).
  const Tensor<T>& predict(const Tensor<T>& x, bool train = false) override;
  // cross_entropy_error(softmax(a2), t); t: class indices (N,) or one-hot (N, output_size).
  T loss(const Tensor<T>& x, const Tensor<T>& t, bool train = true) override;
  // The book's hand-written backprop; fills W1, b1, W2, b2 grads and returns the loss.
  T gradient(const Tensor<T>& x, const Tensor<T>& t) override;
  // The book's numerical_gradient (h = 1e-4, every element, float or double as T), computed
  // incrementally from one forward pass: a change in W1[k][j] or b1[j] moves only hidden unit j
  // (and W1[k][j] only in rows with x[n][k] != 0), a change in W2 or b2 only the scores, so only
  // the rows that change are recomputed. Equal to Net::numerical_gradient up to rounding, about a
  // thousand times faster (two_layer_net_ch4_numgrad.cpp).
  T numerical_gradient(const Tensor<T>& x, const Tensor<T>& t) override;
  std::vector<Param<T>*> params() override { return {&W1_, &b1_, &W2_, &b2_}; }
  nlohmann::json config() const override;

  // y = softmax(a2) of the last loss() or gradient() call: the book's ch.4 predict output.
  const Tensor<T>& probabilities() const { return y_; }

  // Tests only: drops the sigmoid_grad factor from backprop, so a gradient check must fail.
  void inject_fault_for_test(bool on) { fault_ = on; }

 private:
  void check_x(const Tensor<T>& x, const char* method) const;
  T forward_loss(const Tensor<T>& x, const Tensor<T>& t, const char* method);

  std::size_t input_size_, hidden_size_, output_size_;
  double weight_init_std_;
  Param<T> W1_, b1_, W2_, b2_;
  // Per-batch buffers, resized (not reallocated) every call.
  Tensor<T> a1_, z1_, a2_, y_;  // (N, H), (N, H), (N, C), (N, C)
  Tensor<T> dy_, da1_;          // (N, C), (N, H)
  bool fault_ = false;
};

}  // namespace dlfs
