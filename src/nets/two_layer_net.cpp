#include "dlfs/nets/two_layer_net.hpp"

#include <cmath>
#include <stdexcept>

#include "dlfs/layers/affine.hpp"
#include "dlfs/layers/relu.hpp"
#include "dlfs/layers/softmax_with_loss.hpp"
#include "dlfs/nets/init.hpp"

namespace dlfs {

template <class T>
TwoLayerNet<T>::TwoLayerNet(std::size_t input_size, std::size_t hidden_size, std::size_t output_size,
                            double weight_init_std, std::uint64_t seed)
    : input_size_(input_size), hidden_size_(hidden_size), output_size_(output_size),
      weight_init_std_(weight_init_std) {
  if (input_size == 0 || hidden_size == 0 || output_size == 0)
    throw std::invalid_argument("two-layer: sizes must be positive, got input_size " + std::to_string(input_size) +
                                ", hidden_size " + std::to_string(hidden_size) + ", output_size " +
                                std::to_string(output_size));
  if (!std::isfinite(weight_init_std) || weight_init_std < 0)
    throw std::invalid_argument("two-layer: weight_init_std must be a finite number >= 0, got " +
                                std::to_string(weight_init_std));
  Rng rng(seed);
  // Both draws first (W1 then W2, as the book's __init__), then the layers.
  Tensor<T> W1 = randn<T>({input_size, hidden_size}, weight_init_std, rng, "two-layer W1");
  Tensor<T> W2 = randn<T>({hidden_size, output_size}, weight_init_std, rng, "two-layer W2");

  auto& affine1 = this->add(std::make_unique<Affine<T>>(std::move(W1), Tensor<T>({hidden_size})), "1");
  affine1.set_need_dx(false);  // nobody reads d loss / d x
  this->add(std::make_unique<Relu<T>>(), "1");
  this->add(std::make_unique<Affine<T>>(std::move(W2), Tensor<T>({output_size})), "2");
  this->set_last(std::make_unique<SoftmaxWithLoss<T>>());
}

template <class T>
nlohmann::json TwoLayerNet<T>::config() const {
  return {{"net", name()},
          {"input_size", input_size_},
          {"hidden_size", hidden_size_},
          {"output_size", output_size_},
          {"weight_init_std", weight_init_std_}};
}

template class TwoLayerNet<float>;
template class TwoLayerNet<double>;

}  // namespace dlfs
