// Chapter 5.7 (ch05/two_layer_net.py): the two-layer net built from layers,
// Affine1 -> Relu1 -> Affine2 -> SoftmaxWithLoss. Registry name "two-layer".
#pragma once
#include <cstdint>

#include "dlfs/nets/layer_net.hpp"

namespace dlfs {

template <class T>
class TwoLayerNet : public LayerNet<T> {
 public:
  // W1: (input_size, hidden_size), W2: (hidden_size, output_size), drawn as
  // weight_init_std * N(0, 1) from Rng(seed); b1, b2 zero. Throws std::invalid_argument on a zero
  // size, a negative or non-finite std, or weights too large to allocate.
  TwoLayerNet(std::size_t input_size, std::size_t hidden_size, std::size_t output_size,
              double weight_init_std = 0.01, std::uint64_t seed = 0);

  std::string name() const override { return "two-layer"; }
  nlohmann::json config() const override;

 private:
  std::size_t input_size_, hidden_size_, output_size_;
  double weight_init_std_;
};

extern template class TwoLayerNet<float>;
extern template class TwoLayerNet<double>;

}  // namespace dlfs
