#include "dlfs/nets/multi_layer_net.hpp"

#include <cmath>
#include <stdexcept>

#include "dlfs/layers/affine.hpp"
#include "dlfs/layers/batch_norm.hpp"
#include "dlfs/layers/dropout.hpp"
#include "dlfs/layers/relu.hpp"
#include "dlfs/layers/sigmoid.hpp"
#include "dlfs/layers/softmax_with_loss.hpp"
#include "dlfs/nets/init.hpp"

namespace dlfs {

namespace {

void validate(const MultiLayerNetOptions& o, const std::string& net) {
  auto bad = [&](const std::string& what) { throw std::invalid_argument(net + ": " + what); };
  if (o.input_size == 0) bad("input_size must be positive");
  if (o.output_size == 0) bad("output_size must be positive");
  for (std::size_t i = 0; i < o.hidden_size_list.size(); ++i)
    if (o.hidden_size_list[i] == 0) bad("hidden_size_list[" + std::to_string(i) + "] must be positive");
  if (o.activation != "relu" && o.activation != "sigmoid")
    bad("activation must be relu or sigmoid, got '" + o.activation + "'");
  if (!std::isfinite(o.weight_decay_lambda) || o.weight_decay_lambda < 0)
    bad("weight_decay_lambda must be a finite number >= 0, got " + std::to_string(o.weight_decay_lambda));
  if (o.use_dropout && !(o.dropout_ration >= 0 && o.dropout_ration < 1))
    bad("dropout_ration must be in [0, 1), got " + std::to_string(o.dropout_ration));
}

}  // namespace

template <class T>
MultiLayerNet<T>::MultiLayerNet(MultiLayerNetOptions options, std::uint64_t seed) : o_(std::move(options)) {
  validate(o_, name());
  this->weight_decay_lambda_ = static_cast<T>(o_.weight_decay_lambda);

  // all_size_list = [input_size] + hidden_size_list + [output_size]
  std::vector<std::size_t> sizes{o_.input_size};
  sizes.insert(sizes.end(), o_.hidden_size_list.begin(), o_.hidden_size_list.end());
  sizes.push_back(o_.output_size);
  const std::size_t n_affine = sizes.size() - 1;

  // __init_weight: every W first (W1, W2, ...), each scaled for its own fan-in sizes[idx-1].
  Rng rng(seed);
  std::vector<Tensor<T>> W;
  for (std::size_t idx = 1; idx <= n_affine; ++idx) {
    const double scale = init_scale(o_.weight_init_std, sizes[idx - 1]);
    W.push_back(randn<T>({sizes[idx - 1], sizes[idx]}, scale, rng, name() + " W" + std::to_string(idx)));
  }

  // Masks come from their own stream, so turning dropout on does not change the weights.
  Rng dropout_seeds(seed ^ 0x5eedd5071b0e11ULL);
  for (std::size_t idx = 1; idx <= n_affine; ++idx) {
    const std::string s = std::to_string(idx);
    auto& affine = this->add(std::make_unique<Affine<T>>(std::move(W[idx - 1]), Tensor<T>({sizes[idx]})), s, true);
    if (idx == 1) affine.set_need_dx(false);  // nobody reads d loss / d x
    if (idx == n_affine) break;               // the last Affine feeds SoftmaxWithLoss directly
    if (o_.use_batchnorm) this->add(std::make_unique<BatchNormalization<T>>(sizes[idx]), s);
    if (o_.activation == "relu")
      this->add(std::make_unique<Relu<T>>(), s);
    else
      this->add(std::make_unique<Sigmoid<T>>(), s);
    if (o_.use_dropout) this->add(std::make_unique<Dropout<T>>(o_.dropout_ration, dropout_seeds.next_u64()), s);
  }
  this->set_last(std::make_unique<SoftmaxWithLoss<T>>());
}

template <class T>
std::string MultiLayerNet<T>::name() const {
  return o_.use_batchnorm || o_.use_dropout ? "multi-layer-extend" : "multi-layer";
}

template <class T>
nlohmann::json MultiLayerNet<T>::config() const {
  nlohmann::json c = {{"net", name()},
                      {"input_size", o_.input_size},
                      {"hidden_size_list", o_.hidden_size_list},
                      {"output_size", o_.output_size},
                      {"activation", o_.activation},
                      {"weight_decay_lambda", o_.weight_decay_lambda},
                      {"use_batchnorm", o_.use_batchnorm},
                      {"use_dropout", o_.use_dropout},
                      {"dropout_ration", o_.dropout_ration}};
  // A numeric spec goes back out as a number, a name as a string.
  try {
    std::size_t used = 0;
    double v = std::stod(o_.weight_init_std, &used);
    c["weight_init_std"] = used == o_.weight_init_std.size() ? nlohmann::json(v) : nlohmann::json(o_.weight_init_std);
  } catch (const std::exception&) {
    c["weight_init_std"] = o_.weight_init_std;
  }
  return c;
}

template class MultiLayerNet<float>;
template class MultiLayerNet<double>;

}  // namespace dlfs
