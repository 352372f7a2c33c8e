#include "dlfs/nets/simple_conv_net.hpp"

#include <cmath>
#include <stdexcept>

#include "conv_predict.hpp"
#include "conv_shapes.hpp"
#include "dlfs/layers/affine.hpp"
#include "dlfs/layers/convolution.hpp"
#include "dlfs/layers/pooling.hpp"
#include "dlfs/layers/relu.hpp"
#include "dlfs/layers/softmax_with_loss.hpp"
#include "dlfs/nets/init.hpp"

namespace dlfs {

nlohmann::json to_json(const ConvParam& p) {
  return {{"filter_num", p.filter_num}, {"filter_size", p.filter_size}, {"pad", p.pad}, {"stride", p.stride}};
}

ConvParam conv_param_from_json(const nlohmann::json& j, const ConvParam& dflt, const std::string& where) {
  if (!j.is_object()) throw std::invalid_argument(where + ": expected an object like " + to_json(dflt).dump() +
                                                  ", got " + j.dump());
  ConvParam p = dflt;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    std::size_t* field = k == "filter_num" ? &p.filter_num
                         : k == "filter_size" ? &p.filter_size
                         : k == "pad"         ? &p.pad
                         : k == "stride"      ? &p.stride
                                              : nullptr;
    if (!field)
      throw std::invalid_argument(where + ": unknown key '" + k + "' (accepted: filter_num, filter_size, pad, stride)");
    const long long min = k == "pad" ? 0 : 1;
    if (!it->is_number_integer() || it->get<long long>() < min)
      throw std::invalid_argument(where + ": '" + k + "' must be a whole number >= " + std::to_string(min) +
                                  ", got " + it->dump());
    *field = it->get<std::size_t>();
  }
  return p;
}

template <class T>
SimpleConvNet<T>::SimpleConvNet(InputDim input_dim, ConvParam cp, std::size_t hidden_size, std::size_t output_size,
                                double weight_init_std, std::uint64_t seed)
    : input_dim_(input_dim), conv_param_(cp), hidden_size_(hidden_size), output_size_(output_size),
      weight_init_std_(weight_init_std) {
  const std::string me = "simple-conv";
  const auto [C, H, W] = input_dim;
  if (C == 0 || H == 0 || W == 0 || cp.filter_num == 0 || hidden_size == 0 || output_size == 0)
    throw std::invalid_argument(me + ": sizes must be positive, got input_dim (" + std::to_string(C) + ", " +
                                std::to_string(H) + ", " + std::to_string(W) + "), filter_num " +
                                std::to_string(cp.filter_num) + ", hidden_size " + std::to_string(hidden_size) +
                                ", output_size " + std::to_string(output_size));
  if (!std::isfinite(weight_init_std) || weight_init_std < 0)
    throw std::invalid_argument(me + ": weight_init_std must be a finite number >= 0, got " +
                                std::to_string(weight_init_std));
  // The book computes pool_output_size as filter_num * (conv_output_size / 2)^2 in floats, which
  // is only right for even, square maps; this is the size the layers really produce.
  const std::size_t conv_h = detail::conv_out(H, cp.filter_size, cp.pad, cp.stride, me + " Conv1");
  const std::size_t conv_w = detail::conv_out(W, cp.filter_size, cp.pad, cp.stride, me + " Conv1");
  const std::size_t pool_output_size =
      cp.filter_num * detail::pool_out(conv_h, me + " Pool1") * detail::pool_out(conv_w, me + " Pool1");

  Rng rng(seed);
  const std::size_t fs = cp.filter_size;
  Tensor<T> W1 = randn<T>({cp.filter_num, C, fs, fs}, weight_init_std, rng, me + " W1");
  Tensor<T> W2 = randn<T>({pool_output_size, hidden_size}, weight_init_std, rng, me + " W2");
  Tensor<T> W3 = randn<T>({hidden_size, output_size}, weight_init_std, rng, me + " W3");

  auto& conv1 = this->add(
      std::make_unique<Convolution<T>>(std::move(W1), Tensor<T>({cp.filter_num}), cp.stride, cp.pad), "1");
  conv1.set_need_dx(false);  // the input image needs no gradient
  this->add(std::make_unique<Relu<T>>(), "1");
  this->add(std::make_unique<Pooling<T>>(2, 2, 2), "1");
  // Affine flattens (N, FN, h, w) to (N, FN*h*w) itself, as the book's tensor-aware Affine.
  this->add(std::make_unique<Affine<T>>(std::move(W2), Tensor<T>({hidden_size})), "2");
  this->add(std::make_unique<Relu<T>>(), "2");
  this->add(std::make_unique<Affine<T>>(std::move(W3), Tensor<T>({output_size})), "3");
  this->set_last(std::make_unique<SoftmaxWithLoss<T>>());
}

template <class T>
nlohmann::json SimpleConvNet<T>::config() const {
  return {{"net", name()},
          {"input_dim", input_dim_},
          {"conv_param", to_json(conv_param_)},
          {"hidden_size", hidden_size_},
          {"output_size", output_size_},
          {"weight_init_std", weight_init_std_}};
}

template <class T>
const Tensor<T>& SimpleConvNet<T>::predict(const Tensor<T>& x, bool train) {
  return detail::predict_blockwise(x, train, block_x_, block_scores_, [this](const Tensor<T>& in, bool tr) -> const Tensor<T>& {
    return LayerNet<T>::predict(in, tr);
  });
}

template class SimpleConvNet<float>;
template class SimpleConvNet<double>;

}  // namespace dlfs
