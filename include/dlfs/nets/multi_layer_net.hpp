// Chapter 6 (common/multi_layer_net.py and multi_layer_net_extend.py): a fully connected net of
// any depth. For each hidden layer i: Affine_i, [BatchNorm_i], Activation_i, [Dropout_i]; then
// Affine_last and SoftmaxWithLoss. Without batch norm and dropout it is the book's MultiLayerNet
// (registry name "multi-layer"); with them, MultiLayerNetExtend ("multi-layer-extend"). One class
// serves both: the extension only adds optional layers.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "dlfs/nets/layer_net.hpp"

namespace dlfs {

struct MultiLayerNetOptions {
  std::size_t input_size = 784;
  std::vector<std::size_t> hidden_size_list = {100, 100, 100, 100, 100};
  std::size_t output_size = 10;
  std::string activation = "relu";       // relu | sigmoid
  std::string weight_init_std = "relu";  // a number ("0.01"), he/relu, xavier/sigmoid
  double weight_decay_lambda = 0;        // L2 penalty 0.5 * lambda * sum(W^2) over every W_i
  bool use_batchnorm = false;
  bool use_dropout = false;
  double dropout_ration = 0.5;           // the book's spelling
};

template <class T>
class MultiLayerNet : public LayerNet<T> {
 public:
  // W_i: (all_size_list[i-1], all_size_list[i]), drawn as init_scale(weight_init_std, fan-in) *
  // N(0, 1) from Rng(seed), W1 first; b_i zero; gamma_i one, beta_i zero. Dropout layers draw their
  // masks from seeds derived from `seed`. Throws std::invalid_argument naming a bad option.
  explicit MultiLayerNet(MultiLayerNetOptions options = {}, std::uint64_t seed = 0);

  // "multi-layer-extend" when batch norm or dropout is on, else "multi-layer".
  std::string name() const override;
  nlohmann::json config() const override;
  const MultiLayerNetOptions& options() const { return o_; }

 private:
  MultiLayerNetOptions o_;
};

// The book's class name for the batch-norm/dropout variant: the same class.
template <class T>
using MultiLayerNetExtend = MultiLayerNet<T>;

extern template class MultiLayerNet<float>;
extern template class MultiLayerNet<double>;

}  // namespace dlfs
