#include "dlfs/nets/deep_conv_net.hpp"

#include <cmath>
#include <stdexcept>

#include "conv_predict.hpp"
#include "conv_shapes.hpp"
#include "dlfs/layers/affine.hpp"
#include "dlfs/layers/convolution.hpp"
#include "dlfs/layers/dropout.hpp"
#include "dlfs/layers/pooling.hpp"
#include "dlfs/layers/relu.hpp"
#include "dlfs/layers/softmax_with_loss.hpp"
#include "dlfs/nets/init.hpp"

namespace dlfs {

template <class T>
std::array<ConvParam, 6> DeepConvNet<T>::default_conv_params() {
  // {filter_num, filter_size, pad, stride}; conv_param_4 has pad 2 in the book (16 -> 8 -> 4
  // after the pools, which is where W7's 64*4*4 comes from).
  return {{{16, 3, 1, 1}, {16, 3, 1, 1}, {32, 3, 1, 1}, {32, 3, 2, 1}, {64, 3, 1, 1}, {64, 3, 1, 1}}};
}

template <class T>
DeepConvNet<T>::DeepConvNet(InputDim input_dim, std::array<ConvParam, 6> conv_params, std::size_t hidden_size,
                            std::size_t output_size, double dropout_ration, std::uint64_t seed)
    : input_dim_(input_dim), conv_params_(conv_params), hidden_size_(hidden_size), output_size_(output_size),
      dropout_ration_(dropout_ration) {
  const std::string me = "deep-conv";
  if (input_dim[0] == 0 || input_dim[1] == 0 || input_dim[2] == 0 || hidden_size == 0 || output_size == 0)
    throw std::invalid_argument(me + ": sizes must be positive, got input_dim (" + std::to_string(input_dim[0]) +
                                ", " + std::to_string(input_dim[1]) + ", " + std::to_string(input_dim[2]) +
                                "), hidden_size " + std::to_string(hidden_size) + ", output_size " +
                                std::to_string(output_size));
  if (!(dropout_ration >= 0 && dropout_ration < 1))
    throw std::invalid_argument(me + ": dropout_ration must be in [0, 1), got " + std::to_string(dropout_ration));

  // Walk the shapes through the layers once: the fan-in of every weight (the book's
  // pre_node_nums, which it writes out by hand for 28x28 input) and W7's input size.
  std::size_t c = input_dim[0], h = input_dim[1], w = input_dim[2];
  std::array<std::size_t, 8> pre_node_nums{};
  for (std::size_t k = 0; k < 6; ++k) {
    const ConvParam& p = conv_params[k];
    const std::string where = me + " Conv" + std::to_string(k + 1);
    if (p.filter_num == 0) throw std::invalid_argument(where + ": filter_num must be >= 1");
    pre_node_nums[k] = c * p.filter_size * p.filter_size;
    h = detail::conv_out(h, p.filter_size, p.pad, p.stride, where);
    w = detail::conv_out(w, p.filter_size, p.pad, p.stride, where);
    c = p.filter_num;
    if (k % 2 == 1) {  // a pooling after every second convolution
      const std::string pw = me + " Pool" + std::to_string(k / 2 + 1);
      h = detail::pool_out(h, pw);
      w = detail::pool_out(w, pw);
    }
  }
  const std::size_t flat = c * h * w;  // 64*4*4 for the book's configuration
  pre_node_nums[6] = flat;
  pre_node_nums[7] = hidden_size;

  // Weights in the book's order, W1..W6 then W7, W8, each scaled by sqrt(2 / fan-in) (He).
  Rng rng(seed);
  std::array<Tensor<T>, 8> Ws;
  std::size_t pre_channel_num = input_dim[0];
  for (std::size_t k = 0; k < 6; ++k) {
    const ConvParam& p = conv_params[k];
    Ws[k] = randn<T>({p.filter_num, pre_channel_num, p.filter_size, p.filter_size},
                     std::sqrt(2.0 / double(pre_node_nums[k])), rng, me + " W" + std::to_string(k + 1));
    pre_channel_num = p.filter_num;
  }
  Ws[6] = randn<T>({flat, hidden_size}, std::sqrt(2.0 / double(pre_node_nums[6])), rng, me + " W7");
  Ws[7] = randn<T>({hidden_size, output_size}, std::sqrt(2.0 / double(pre_node_nums[7])), rng, me + " W8");

  for (std::size_t k = 0; k < 6; ++k) {
    const ConvParam& p = conv_params[k];
    const std::string s = std::to_string(k + 1);
    auto& conv = this->add(
        std::make_unique<Convolution<T>>(std::move(Ws[k]), Tensor<T>({p.filter_num}), p.stride, p.pad), s);
    if (k == 0) conv.set_need_dx(false);  // the input image needs no gradient
    this->add(std::make_unique<Relu<T>>(), s);
    if (k % 2 == 1) this->add(std::make_unique<Pooling<T>>(2, 2, 2), std::to_string(k / 2 + 1));
  }
  this->add(std::make_unique<Affine<T>>(std::move(Ws[6]), Tensor<T>({hidden_size})), "7");
  this->add(std::make_unique<Relu<T>>(), "7");
  // Each Dropout draws its masks from its own generator, seeded from the net's seed.
  Rng dropout_seeds(seed ^ 0xdeec0d5eedULL);
  dropouts_[0] = static_cast<Dropout<T>*>(
      &this->add(std::make_unique<Dropout<T>>(dropout_ration, dropout_seeds.next_u64()), "1"));
  this->add(std::make_unique<Affine<T>>(std::move(Ws[7]), Tensor<T>({output_size})), "8");
  dropouts_[1] = static_cast<Dropout<T>*>(
      &this->add(std::make_unique<Dropout<T>>(dropout_ration, dropout_seeds.next_u64()), "2"));
  this->set_last(std::make_unique<SoftmaxWithLoss<T>>());
}

template <class T>
nlohmann::json DeepConvNet<T>::config() const {
  nlohmann::json j = {{"net", name()}, {"input_dim", input_dim_}};
  for (std::size_t k = 0; k < 6; ++k) j["conv_param_" + std::to_string(k + 1)] = to_json(conv_params_[k]);
  j["hidden_size"] = hidden_size_;
  j["output_size"] = output_size_;
  j["dropout_ration"] = dropout_ration_;
  return j;
}

template <class T>
const Tensor<T>& DeepConvNet<T>::predict(const Tensor<T>& x, bool train) {
  return detail::predict_blockwise(x, train, block_x_, block_scores_, [this](const Tensor<T>& in, bool tr) -> const Tensor<T>& {
    return LayerNet<T>::predict(in, tr);
  });
}

template class DeepConvNet<float>;
template class DeepConvNet<double>;

}  // namespace dlfs
