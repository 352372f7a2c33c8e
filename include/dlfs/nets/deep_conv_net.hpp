// Chapter 8.1 (ch08/deep_convnet.py): the deep ConvNet of 99%+ accuracy,
//   Conv1 - Relu - Conv2 - Relu - Pool -
//   Conv3 - Relu - Conv4 - Relu - Pool -
//   Conv5 - Relu - Conv6 - Relu - Pool -
//   Affine7 - Relu - Dropout - Affine8 - Dropout - SoftmaxWithLoss
// with parameters W1..W8, b1..b8 and He initialisation sqrt(2 / pre_node_nums), as the book.
// Registry name "deep-conv". Takes image batches (N, C, H, W); config() carries "input_dim".
#pragma once
#include <array>
#include <cstdint>

#include "dlfs/nets/simple_conv_net.hpp"

namespace dlfs {

template <class T>
class Dropout;

template <class T>
class DeepConvNet : public LayerNet<T> {
 public:
  // The book's six conv_param_k: 3x3 filters, stride 1, pad 1 except conv 4 (pad 2), with
  // 16, 16, 32, 32, 64, 64 filters.
  static std::array<ConvParam, 6> default_conv_params();

  // Every pooling is 2x2 with stride 2. W_k is drawn as sqrt(2 / n_in) * N(0, 1) from Rng(seed),
  // n_in being the inputs of one neuron (C_in * 3 * 3 for a conv, the flattened size for W7,
  // hidden_size for W8), in the order W1..W8; biases zero. The book hard-codes
  // dropout ratio 0.5 (kept as the default of dropout_ration); the two Dropout layers draw their
  // masks from seeds derived from `seed`. Throws std::invalid_argument on a zero size, a filter
  // that does not fit, a feature map that vanishes before a pooling, or a bad dropout ratio.
  DeepConvNet(InputDim input_dim = {1, 28, 28}, std::array<ConvParam, 6> conv_params = default_conv_params(),
              std::size_t hidden_size = 50, std::size_t output_size = 10, double dropout_ration = 0.5,
              std::uint64_t seed = 0);

  std::string name() const override { return "deep-conv"; }
  // {"net": "deep-conv", "input_dim": [1, 28, 28], "conv_param_1": {...}, ..., "conv_param_6":
  //  {...}, "hidden_size": 50, "output_size": 10, "dropout_ration": 0.5}
  nlohmann::json config() const override;

  // As LayerNet's, except that inference on more than 50 images runs 50 at a time (the same
  // scores; faster, as each block's feature maps stay in cache between layers).
  const Tensor<T>& predict(const Tensor<T>& x, bool train = false) override;

  // The two Dropout layers (after Affine7's Relu and after Affine8), e.g. to freeze their masks
  // for a gradient check.
  std::array<Dropout<T>*, 2> dropouts() const { return dropouts_; }

 private:
  Tensor<T> block_x_, block_scores_;  // predict's buffers
  InputDim input_dim_;
  std::array<ConvParam, 6> conv_params_;
  std::size_t hidden_size_, output_size_;
  double dropout_ration_;
  std::array<Dropout<T>*, 2> dropouts_{};
};

extern template class DeepConvNet<float>;
extern template class DeepConvNet<double>;

}  // namespace dlfs
