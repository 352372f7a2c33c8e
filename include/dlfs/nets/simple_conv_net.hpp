// Chapter 7.5 (ch07/simple_convnet.py): the simple ConvNet,
//   Conv1 - Relu1 - Pool1 - Affine1 - Relu2 - Affine2 - SoftmaxWithLoss
// with parameters W1, b1 (convolution), W2, b2 and W3, b3 (the two affine layers), as the book.
// Registry name "simple-conv". It takes image batches (N, C, H, W), not flattened rows: its
// config() carries "input_dim" so a trainer knows to feed them.
#pragma once
#include <array>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "dlfs/nets/layer_net.hpp"

namespace dlfs {

// The book's conv_param dict: {'filter_num': 30, 'filter_size': 5, 'pad': 0, 'stride': 1}.
struct ConvParam {
  std::size_t filter_num = 30;
  std::size_t filter_size = 5;
  std::size_t pad = 0;
  std::size_t stride = 1;
};
nlohmann::json to_json(const ConvParam& p);
// Reads {"filter_num", "filter_size", "pad", "stride"}; missing keys keep dflt's values. Throws
// std::invalid_argument naming `where` and the key for an unknown key, a value that is not a whole
// number (>= 1; pad >= 0), or a non-object.
ConvParam conv_param_from_json(const nlohmann::json& j, const ConvParam& dflt, const std::string& where);

using InputDim = std::array<std::size_t, 3>;  // (C, H, W)

template <class T>
class SimpleConvNet : public LayerNet<T> {
 public:
  // W1 (filter_num, C, filter_size, filter_size), W2 (filter_num * pool_h * pool_w, hidden_size),
  // W3 (hidden_size, output_size), drawn in that order as weight_init_std * N(0, 1) from
  // Rng(seed); biases zero. The pooling is 2x2 with stride 2. Throws std::invalid_argument when a
  // size is zero, the filter does not fit the padded input, the convolution output is smaller
  // than the 2x2 pooling window, or weight_init_std is negative or not finite.
  SimpleConvNet(InputDim input_dim = {1, 28, 28}, ConvParam conv_param = {}, std::size_t hidden_size = 100,
                std::size_t output_size = 10, double weight_init_std = 0.01, std::uint64_t seed = 0);

  std::string name() const override { return "simple-conv"; }
  // {"net": "simple-conv", "input_dim": [1, 28, 28], "conv_param": {...}, "hidden_size": 100,
  //  "output_size": 10, "weight_init_std": 0.01}
  nlohmann::json config() const override;

  // As LayerNet's, except that inference on more than 50 images runs 50 at a time (the same
  // scores; faster, as each block's feature maps stay in cache between layers).
  const Tensor<T>& predict(const Tensor<T>& x, bool train = false) override;

 private:
  Tensor<T> block_x_, block_scores_;  // predict's buffers
  InputDim input_dim_;
  ConvParam conv_param_;
  std::size_t hidden_size_, output_size_;
  double weight_init_std_;
};

extern template class SimpleConvNet<float>;
extern template class SimpleConvNet<double>;

}  // namespace dlfs
