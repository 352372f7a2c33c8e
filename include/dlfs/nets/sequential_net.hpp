// The net behind dlfs::keras::Sequential: a LayerNet built from a list of Keras-style layer
// descriptions (Dense, Activation, BatchNormalization, Dropout, Flatten). It lives in nets, not
// train, because it needs only layers; compile/fit live in dlfs/keras.hpp.
//
//   Dense(units, activation)  -> Affine_k [+ Relu_k | Sigmoid_k]   (W_k, b_k)
//   BatchNormalization()      -> BatchNormalization_k              (gamma_k, beta_k)
//   Dropout(rate)             -> Dropout_k
//   Activation(a)             -> Relu_k | Sigmoid_k
//   Flatten()                 -> nothing at run time (Affine already reads (N, C, H, W) as
//                                (N, C*H*W)); it only changes the shape the next layer sees
// The last layer must end in "softmax": that softmax is fused with the cross-entropy into the
// book's SoftmaxWithLoss, so predict() returns the scores before it, as every dlfs net.
// k counts layers of the same type, so parameter names follow the book: W1, b1, gamma1, beta1, ...
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dlfs/nets/layer_net.hpp"
#include "dlfs/rng.hpp"

namespace dlfs {

struct LayerSpec {
  std::string kind;                                   // Dense | Activation | BatchNormalization | Dropout | Flatten
  std::size_t units = 0;                              // Dense
  std::string activation = "linear";                  // Dense, Activation: linear | relu | sigmoid | softmax
  std::string kernel_initializer = "glorot_uniform";  // Dense (see kernel_init)
  double momentum = 0.99;                             // BatchNormalization (Keras's default)
  double rate = 0;                                    // Dropout: fraction dropped, in [0, 1)
  Shape input_shape;                                  // per-sample input shape; only on the first layer
};

// Keras-like text for messages and summaries: Dense(50, "sigmoid"), Dropout(0.2), ...
std::string describe(const LayerSpec& s);
nlohmann::json spec_to_json(const LayerSpec& s);
// Throws std::invalid_argument naming the bad key (unknown kind or key, wrong type).
LayerSpec spec_from_json(const nlohmann::json& j);

// What one layer description becomes, worked out from the shapes alone.
struct LayerPlan {
  Shape output_shape;                   // per sample, e.g. (50)
  std::size_t trainable = 0;            // W, b, gamma, beta element counts
  std::size_t non_trainable = 0;        // running mean/var (Keras counts them as parameters)
  std::vector<std::string> param_names; // W1 b1, gamma1 beta1, ...
};

// Checks the layer list against a per-sample input shape and returns one plan per layer. Throws
// std::invalid_argument for an unknown kind/activation/initializer, a bad size or rate, a misplaced
// softmax, and ShapeError for a Dense or BatchNormalization fed a rank > 1 sample (add
// Flatten() first), each naming the layer ("layer 3, Dense(10, \"softmax\")"). complete = false
// checks a model still being assembled: the last layer need not end in softmax yet.
std::vector<LayerPlan> plan_sequential(const std::vector<LayerSpec>& layers, const Shape& input_shape,
                                       bool complete = true);

// Keras's kernel initialisers on a (fan_in, fan_out) kernel, drawn from rng:
//   glorot_uniform (Keras's default): U(-l, l), l = sqrt(6 / (fan_in + fan_out))
//   glorot_normal, he_normal, lecun_normal: truncated N(0, s) (redrawn beyond 2 s) with
//     s = sqrt(scale / n) / 0.87962566103423978 (the truncation's variance correction), where
//     scale, n = 1, (fan_in + fan_out) / 2 | 2, fan_in | 1, fan_in
//   he_uniform, lecun_uniform: U(-l, l), l = sqrt(3 * scale / fan_in), scale 2 | 1
//   the book's weight_init_std ("0.01", "he"/"relu", "xavier"/"sigmoid"): init_scale * N(0, 1)
// Throws std::invalid_argument listing the names for anything else.
template <class T>
Tensor<T> kernel_init(const std::string& name, std::size_t fan_in, std::size_t fan_out, Rng& rng);

template <class T>
class SequentialNet : public LayerNet<T> {
 public:
  // input_shape is per sample, (784) or (1, 28, 28). Kernels are drawn from Rng(seed) in layer
  // order, biases and beta are zero, gamma one; running_mean 0 and running_var 1 (Keras's
  // initialisers; the book's layer starts running_var at 0). Throws as plan_sequential.
  SequentialNet(std::vector<LayerSpec> layers, Shape input_shape, std::uint64_t seed = 0);

  std::string name() const override { return "sequential"; }
  // {"net": "sequential", "input_shape": [784], "layers": [{"class_name": "Dense", ...}, ...]}
  nlohmann::json config() const override;

  const std::vector<LayerSpec>& specs() const { return specs_; }
  const std::vector<LayerPlan>& plans() const { return plans_; }
  const Shape& input_shape() const { return input_shape_; }
  std::size_t num_classes() const { return plans_.back().output_shape.back(); }

 private:
  std::vector<LayerSpec> specs_;
  std::vector<LayerPlan> plans_;
  Shape input_shape_;
};

// Rebuilds a SequentialNet from its config() (for the registry and model files). Throws
// std::invalid_argument naming a missing or bad key.
template <class T>
std::unique_ptr<Net<T>> make_sequential_net(const nlohmann::json& config, std::uint64_t seed);

extern template class SequentialNet<float>;
extern template class SequentialNet<double>;

}  // namespace dlfs
