#include "dlfs/nets/sequential_net.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
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

using json = nlohmann::json;

std::string lower(const std::string& s) {
  std::string out;
  for (char c : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// "" and "linear" (Keras's None) are the identity.
std::string activation_name(const std::string& a) {
  const std::string s = lower(a);
  return s.empty() ? "linear" : s;
}

// The dlfs layer type an activation becomes ("" for linear and the fused softmax).
std::string activation_layer(const std::string& a, const std::string& where) {
  const std::string s = activation_name(a);
  if (s == "relu") return "Relu";
  if (s == "sigmoid") return "Sigmoid";
  if (s == "linear" || s == "softmax") return "";
  throw std::invalid_argument(where + ": unknown activation '" + a + "' (accepted: linear, relu, sigmoid, softmax)");
}

// Keras's variance-scaling family: {scale, use fan_avg, uniform}.
struct VarianceScaling {
  double scale;
  bool fan_avg;
  bool uniform;
};
const std::map<std::string, VarianceScaling>& keras_initializers() {
  static const std::map<std::string, VarianceScaling> m = {
      {"glorot_uniform", {1, true, true}}, {"glorot_normal", {1, true, false}},
      {"he_uniform", {2, false, true}},    {"he_normal", {2, false, false}},
      {"lecun_uniform", {1, false, true}}, {"lecun_normal", {1, false, false}}};
  return m;
}

void check_initializer(const std::string& name, const std::string& where) {
  if (keras_initializers().count(lower(name))) return;
  try {
    init_scale(name, 1);  // the book's weight_init_std: a number, he/relu, xavier/sigmoid
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument(where + ": unknown kernel_initializer '" + name +
                                "' (accepted: glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform, "
                                "lecun_normal, or the book's weight_init_std: a number, he, relu, xavier, sigmoid)");
  }
}

bool ends_in_softmax(const LayerSpec& s) {
  return (s.kind == "Dense" || s.kind == "Activation") && activation_name(s.activation) == "softmax";
}

// Numbers layers per dlfs type, so names read Affine1, Affine2, Relu1, BatchNormalization1 ...
struct Counter {
  std::map<std::string, int> n;
  std::string next(const std::string& type) { return std::to_string(++n[type]); }
};

}  // namespace

std::string describe(const LayerSpec& s) {
  if (s.kind == "Dense") {
    std::string a = activation_name(s.activation);
    return "Dense(" + std::to_string(s.units) + (a == "linear" ? "" : ", \"" + a + "\"") + ")";
  }
  if (s.kind == "Activation") return "Activation(\"" + activation_name(s.activation) + "\")";
  if (s.kind == "Dropout") return "Dropout(" + number(s.rate) + ")";
  if (s.kind == "BatchNormalization") return s.momentum == 0.99 ? "BatchNormalization()" : "BatchNormalization(" + number(s.momentum) + ")";
  if (s.kind == "Flatten") return "Flatten()";
  return s.kind + "()";
}

json spec_to_json(const LayerSpec& s) {
  json j = {{"class_name", s.kind}};
  if (s.kind == "Dense") {
    j["units"] = s.units;
    j["activation"] = activation_name(s.activation);
    j["kernel_initializer"] = s.kernel_initializer;
  } else if (s.kind == "Activation") {
    j["activation"] = activation_name(s.activation);
  } else if (s.kind == "BatchNormalization") {
    j["momentum"] = s.momentum;
  } else if (s.kind == "Dropout") {
    j["rate"] = s.rate;
  }
  if (!s.input_shape.empty()) j["input_shape"] = s.input_shape;
  return j;
}

LayerSpec spec_from_json(const json& j) {
  if (!j.is_object() || !j.contains("class_name") || !j["class_name"].is_string())
    throw std::invalid_argument("sequential layer: expected an object with a \"class_name\", got " + j.dump());
  LayerSpec s;
  s.kind = j["class_name"].get<std::string>();
  const std::map<std::string, std::vector<std::string>> keys = {
      {"Dense", {"units", "activation", "kernel_initializer"}},
      {"Activation", {"activation"}},
      {"BatchNormalization", {"momentum"}},
      {"Dropout", {"rate"}},
      {"Flatten", {}}};
  auto k = keys.find(s.kind);
  if (k == keys.end())
    throw std::invalid_argument("sequential layer: unknown class_name '" + s.kind +
                                "' (accepted: Dense, Activation, BatchNormalization, Dropout, Flatten)");
  const std::string where = "sequential layer " + s.kind;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    if (key == "class_name") continue;
    if (key == "input_shape") {
      if (!it->is_array()) throw std::invalid_argument(where + ": input_shape must be a list, got " + it->dump());
      for (const json& d : *it) {
        if (!d.is_number_unsigned() || d.get<std::size_t>() == 0)
          throw std::invalid_argument(where + ": input_shape must hold positive whole numbers, got " + it->dump());
        s.input_shape.push_back(d.get<std::size_t>());
      }
      continue;
    }
    bool known = false;
    for (const auto& a : k->second) known = known || a == key;
    if (!known) throw std::invalid_argument(where + ": unknown key '" + key + "'");
    if (key == "units") {
      if (!it->is_number_unsigned()) throw std::invalid_argument(where + ": units must be a positive whole number, got " + it->dump());
      s.units = it->get<std::size_t>();
    } else if (key == "activation" || key == "kernel_initializer") {
      if (!it->is_string()) throw std::invalid_argument(where + ": " + key + " must be a string, got " + it->dump());
      (key == "activation" ? s.activation : s.kernel_initializer) = it->get<std::string>();
    } else {  // momentum, rate
      if (!it->is_number()) throw std::invalid_argument(where + ": " + key + " must be a number, got " + it->dump());
      (key == "rate" ? s.rate : s.momentum) = it->get<double>();
    }
  }
  return s;
}

std::vector<LayerPlan> plan_sequential(const std::vector<LayerSpec>& layers, const Shape& input_shape, bool complete) {
  if (layers.empty())
    throw std::invalid_argument("Sequential: the model has no layers (it needs at least Dense(units, \"softmax\"))");
  if (input_shape.empty()) throw std::invalid_argument("Sequential: the input shape is unknown");
  for (std::size_t d : input_shape)
    if (d == 0) throw std::invalid_argument("Sequential: input shape " + shape_str(input_shape) + " has a zero dimension");

  std::vector<LayerPlan> plans;
  Counter count;
  Shape shape = input_shape;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const LayerSpec& s = layers[i];
    const std::string where = "layer " + std::to_string(i + 1) + ", " + describe(s);
    const bool last = i + 1 == layers.size();
    if (!s.input_shape.empty() && s.input_shape != shape)
      throw ShapeError(where + ": declares input shape " + shape_str(s.input_shape) + " but receives " +
                       shape_str(shape));
    if (ends_in_softmax(s) && !last)
      throw std::invalid_argument(where + ": softmax is allowed only on the last layer (dlfs fuses it with the "
                                  "cross-entropy loss)");
    // Keras's Dense and BatchNormalization act on the last axis of a higher-rank input; dlfs's
    // layers flatten it instead. Rather than differ silently, ask for the Flatten.
    auto need_vector = [&] {
      if (shape.size() != 1)
        throw ShapeError(where + ": expects one feature vector per sample, got " + shape_str(shape) +
                         "; add Flatten() before it");
    };
    LayerPlan p;
    if (s.kind == "Dense") {
      need_vector();
      if (s.units == 0) throw std::invalid_argument(where + ": units must be positive, got 0");
      activation_layer(s.activation, where);
      check_initializer(s.kernel_initializer, where);
      check_param_size({shape[0], s.units}, where + " kernel");
      p.output_shape = {s.units};
      p.trainable = shape[0] * s.units + s.units;
      const std::string k = count.next("Affine");
      p.param_names = {"W" + k, "b" + k};
      if (std::string a = activation_layer(s.activation, where); !a.empty()) count.next(a);
    } else if (s.kind == "Activation") {
      if (std::string a = activation_layer(s.activation, where); !a.empty()) count.next(a);
      p.output_shape = shape;
    } else if (s.kind == "BatchNormalization") {
      need_vector();
      if (!(s.momentum >= 0 && s.momentum <= 1))
        throw std::invalid_argument(where + ": momentum must be in [0, 1], got " + number(s.momentum));
      p.output_shape = shape;
      p.trainable = 2 * shape[0];
      p.non_trainable = 2 * shape[0];
      const std::string k = count.next("BatchNormalization");
      p.param_names = {"gamma" + k, "beta" + k};
    } else if (s.kind == "Dropout") {
      if (!(s.rate >= 0 && s.rate < 1))
        throw std::invalid_argument(where + ": rate must be in [0, 1), got " + number(s.rate));
      count.next("Dropout");
      p.output_shape = shape;
    } else if (s.kind == "Flatten") {
      p.output_shape = {shape_numel(shape)};
    } else {
      throw std::invalid_argument(where + ": unknown layer kind '" + s.kind +
                                  "' (accepted: Dense, Activation, BatchNormalization, Dropout, Flatten)");
    }
    shape = p.output_shape;
    plans.push_back(std::move(p));
  }
  if (!complete) return plans;
  if (!ends_in_softmax(layers.back()))
    throw std::invalid_argument("Sequential: the last layer must be Dense(units, \"softmax\") or Activation(\"softmax\") "
                                "(dlfs trains softmax with cross-entropy as the book's SoftmaxWithLoss), got " +
                                describe(layers.back()));
  if (shape.size() != 1)
    throw ShapeError("Sequential: the softmax output must be one vector per sample, got " + shape_str(shape));
  return plans;
}

template <class T>
Tensor<T> kernel_init(const std::string& name, std::size_t fan_in, std::size_t fan_out, Rng& rng) {
  const std::string what = "kernel_initializer " + name;
  check_param_size({fan_in, fan_out}, what);
  check_initializer(name, what);
  Tensor<T> W({fan_in, fan_out});
  auto it = keras_initializers().find(lower(name));
  if (it == keras_initializers().end()) {  // the book's weight_init_std * randn
    const double scale = init_scale(name, fan_in);
    for (auto& w : W) w = static_cast<T>(scale * rng.normal());
    return W;
  }
  const VarianceScaling v = it->second;
  const double n = v.fan_avg ? 0.5 * double(fan_in + fan_out) : double(fan_in);
  if (v.uniform) {
    const double limit = std::sqrt(3.0 * v.scale / n);
    for (auto& w : W) w = static_cast<T>(rng.uniform(-limit, limit));
  } else {
    // Keras draws from a normal truncated at 2 standard deviations and widens it so the variance
    // is still scale / n.
    const double stddev = std::sqrt(v.scale / n) / 0.87962566103423978;
    for (auto& w : W) {
      double z;
      do z = rng.normal();
      while (std::abs(z) > 2.0);
      w = static_cast<T>(stddev * z);
    }
  }
  return W;
}

template <class T>
SequentialNet<T>::SequentialNet(std::vector<LayerSpec> layers, Shape input_shape, std::uint64_t seed)
    : specs_(std::move(layers)), input_shape_(std::move(input_shape)) {
  plans_ = plan_sequential(specs_, input_shape_);
  Rng rng(seed);
  // Masks come from their own stream, so adding a Dropout does not change the weights.
  Rng dropout_seeds(seed ^ 0x5eedd5071b0e11ULL);
  Counter count;
  Shape shape = input_shape_;
  auto add_activation = [&](const std::string& a) {
    const std::string type = activation_layer(a, "Sequential");
    if (type == "Relu") this->add(std::make_unique<Relu<T>>(), count.next(type));
    if (type == "Sigmoid") this->add(std::make_unique<Sigmoid<T>>(), count.next(type));
  };
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    const LayerSpec& s = specs_[i];
    if (s.kind == "Dense") {
      Tensor<T> W = kernel_init<T>(s.kernel_initializer, shape[0], s.units, rng);
      this->add(std::make_unique<Affine<T>>(std::move(W), Tensor<T>({s.units})), count.next("Affine"));
      add_activation(s.activation);
    } else if (s.kind == "Activation") {
      add_activation(s.activation);
    } else if (s.kind == "BatchNormalization") {
      auto bn = std::make_unique<BatchNormalization<T>>(shape[0], s.momentum);
      bn->running_var().fill(T(1));  // Keras's moving_variance_initializer
      this->add(std::move(bn), count.next("BatchNormalization"));
    } else if (s.kind == "Dropout") {
      this->add(std::make_unique<Dropout<T>>(s.rate, dropout_seeds.next_u64()), count.next("Dropout"));
    }
    shape = plans_[i].output_shape;
  }
  // Nobody reads d loss / d input.
  if (!this->layers().empty()) this->layers().front()->set_need_dx(false);
  this->set_last(std::make_unique<SoftmaxWithLoss<T>>());
}

template <class T>
nlohmann::json SequentialNet<T>::config() const {
  json layers = json::array();
  for (const LayerSpec& s : specs_) layers.push_back(spec_to_json(s));
  json c = {{"net", name()}, {"input_shape", input_shape_}, {"layers", layers}};
  // The Trainer feeds (N, 1, H, W) images to nets whose config has "input_dim".
  if (input_shape_.size() == 3) c["input_dim"] = input_shape_;
  return c;
}

template <class T>
std::unique_ptr<Net<T>> make_sequential_net(const nlohmann::json& config, std::uint64_t seed) {
  for (auto it = config.begin(); it != config.end(); ++it)
    if (it.key() != "net" && it.key() != "input_shape" && it.key() != "layers" && it.key() != "input_dim")
      throw std::invalid_argument("net sequential: unknown config key '" + it.key() +
                                  "' (accepted: input_shape, layers)");
  if (!config.contains("input_shape") || !config["input_shape"].is_array())
    throw std::invalid_argument("net sequential: config needs \"input_shape\", a list such as [784]");
  if (!config.contains("layers") || !config["layers"].is_array())
    throw std::invalid_argument("net sequential: config needs \"layers\", a list of {\"class_name\": ...} objects");
  Shape input;
  for (const json& d : config["input_shape"]) {
    if (!d.is_number_unsigned() || d.get<std::size_t>() == 0)
      throw std::invalid_argument("net sequential: input_shape must hold positive whole numbers, got " +
                                  config["input_shape"].dump());
    input.push_back(d.get<std::size_t>());
  }
  std::vector<LayerSpec> specs;
  for (const json& l : config["layers"]) specs.push_back(spec_from_json(l));
  return std::make_unique<SequentialNet<T>>(std::move(specs), std::move(input), seed);
}

template Tensor<float> kernel_init<float>(const std::string&, std::size_t, std::size_t, Rng&);
template Tensor<double> kernel_init<double>(const std::string&, std::size_t, std::size_t, Rng&);
template std::unique_ptr<Net<float>> make_sequential_net<float>(const nlohmann::json&, std::uint64_t);
template std::unique_ptr<Net<double>> make_sequential_net<double>(const nlohmann::json&, std::uint64_t);
template class SequentialNet<float>;
template class SequentialNet<double>;

}  // namespace dlfs
