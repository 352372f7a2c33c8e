// The net table. A new net is one builder function and one row in table<T>().
#include "dlfs/nets/registry.hpp"

#include <cmath>
#include <cstdio>
#include <set>
#include <stdexcept>

#include "dlfs/nets/deep_conv_net.hpp"
#include "dlfs/nets/multi_layer_net.hpp"
#include "dlfs/nets/sequential_net.hpp"
#include "dlfs/nets/simple_conv_net.hpp"
#include "dlfs/nets/two_layer_net.hpp"
#include "dlfs/nets/two_layer_net_ch4.hpp"

namespace dlfs {

namespace {

using json = nlohmann::json;

// Reads typed values out of one net's config, naming the net and key in every error, and
// remembering which keys were read so that a misspelt one can be reported.
class Args {
 public:
  Args(const json& c, std::string net) : c_(c), net_(std::move(net)) { used_.insert("net"); }

  std::size_t size(const std::string& key, std::size_t dflt) {
    const json* v = find(key);
    return v ? to_size(*v, key) : dflt;
  }
  std::vector<std::size_t> sizes(const std::string& key, std::vector<std::size_t> dflt) {
    const json* v = find(key);
    if (!v) return dflt;
    if (!v->is_array()) fail(key, "a list of positive whole numbers", *v);
    std::vector<std::size_t> out;
    for (const json& e : *v) out.push_back(to_size(e, key));
    return out;
  }
  double number(const std::string& key, double dflt) {
    const json* v = find(key);
    if (!v) return dflt;
    if (!v->is_number() || !std::isfinite(v->get<double>())) fail(key, "a number", *v);
    return v->get<double>();
  }
  bool flag(const std::string& key, bool dflt) {
    const json* v = find(key);
    if (!v) return dflt;
    if (!v->is_boolean()) fail(key, "true or false", *v);
    return v->get<bool>();
  }
  std::string text(const std::string& key, std::string dflt) {
    const json* v = find(key);
    if (!v) return dflt;
    if (!v->is_string()) fail(key, "a string", *v);
    return v->get<std::string>();
  }
  // The book's weight_init_std: a number or a name (he, relu, xavier, sigmoid); kept as text.
  std::string init_spec(const std::string& key, std::string dflt) {
    const json* v = find(key);
    if (!v) return dflt;
    if (v->is_string()) return v->get<std::string>();
    if (!v->is_number()) fail(key, "a number or one of he, relu, xavier, sigmoid", *v);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v->get<double>());  // round-trips exactly
    return buf;
  }
  // A nested object (the conv nets' conv_param): its JSON for the caller to read, or null.
  const json* object(const std::string& key) {
    const json* v = find(key);
    if (v && !v->is_object()) fail(key, "an object", *v);
    return v;
  }
  // Call after reading every key the net accepts.
  void reject_unknown() const {
    for (auto it = c_.begin(); it != c_.end(); ++it)
      if (!used_.count(it.key())) {
        std::string known;
        for (const auto& k : used_)
          if (k != "net") known += (known.empty() ? "" : ", ") + k;
        throw std::invalid_argument("net " + net_ + ": unknown config key '" + it.key() + "' (accepted: " + known +
                                    ")");
      }
  }

 private:
  const json* find(const std::string& key) {
    used_.insert(key);
    auto it = c_.find(key);
    return it == c_.end() ? nullptr : &*it;
  }
  std::size_t to_size(const json& v, const std::string& key) const {
    if (!v.is_number_integer() || v.get<long long>() <= 0) fail(key, "a positive whole number", v);
    return v.get<std::size_t>();
  }
  [[noreturn]] void fail(const std::string& key, const std::string& expected, const json& got) const {
    throw std::invalid_argument("net " + net_ + ": '" + key + "' must be " + expected + ", got " + got.dump());
  }

  const json& c_;
  std::string net_;
  std::set<std::string> used_;
};

template <class T>
std::unique_ptr<Net<T>> two_layer(Args& a, std::uint64_t seed) {
  auto in = a.size("input_size", 784), hidden = a.size("hidden_size", 50), out = a.size("output_size", 10);
  double std = a.number("weight_init_std", 0.01);
  a.reject_unknown();
  return std::make_unique<TwoLayerNet<T>>(in, hidden, out, std, seed);
}

template <class T>
std::unique_ptr<Net<T>> two_layer_sigmoid(Args& a, std::uint64_t seed) {
  auto in = a.size("input_size", 784), hidden = a.size("hidden_size", 50), out = a.size("output_size", 10);
  double std = a.number("weight_init_std", 0.01);
  a.reject_unknown();
  return std::make_unique<TwoLayerNetCh4<T>>(in, hidden, out, std, seed);
}

// "multi-layer" and "multi-layer-extend" read the same keys; only the defaults differ in name.
template <class T>
std::unique_ptr<Net<T>> multi_layer(Args& a, std::uint64_t seed) {
  MultiLayerNetOptions o;
  o.input_size = a.size("input_size", o.input_size);
  o.hidden_size_list = a.sizes("hidden_size_list", o.hidden_size_list);
  o.output_size = a.size("output_size", o.output_size);
  o.activation = a.text("activation", o.activation);
  o.weight_init_std = a.init_spec("weight_init_std", o.weight_init_std);  // the book's default: relu
  o.weight_decay_lambda = a.number("weight_decay_lambda", o.weight_decay_lambda);
  o.use_batchnorm = a.flag("use_batchnorm", o.use_batchnorm);
  o.use_dropout = a.flag("use_dropout", o.use_dropout);
  o.dropout_ration = a.number("dropout_ration", o.dropout_ration);
  a.reject_unknown();
  return std::make_unique<MultiLayerNet<T>>(o, seed);
}

// The conv nets' input_dim: (C, H, W).
InputDim input_dim_arg(Args& a, const std::string& net) {
  std::vector<std::size_t> v = a.sizes("input_dim", {1, 28, 28});
  if (v.size() != 3)
    throw std::invalid_argument("net " + net + ": 'input_dim' must be 3 numbers (C, H, W), got " +
                                std::to_string(v.size()));
  return {v[0], v[1], v[2]};
}

template <class T>
std::unique_ptr<Net<T>> simple_conv(Args& a, std::uint64_t seed) {
  InputDim dim = input_dim_arg(a, "simple-conv");
  ConvParam cp;  // the book's {30, 5, 0, 1}; keys given in the config override it one by one
  if (const json* j = a.object("conv_param")) cp = conv_param_from_json(*j, cp, "net simple-conv: conv_param");
  auto hidden = a.size("hidden_size", 100), out = a.size("output_size", 10);
  double std = a.number("weight_init_std", 0.01);
  a.reject_unknown();
  return std::make_unique<SimpleConvNet<T>>(dim, cp, hidden, out, std, seed);
}

template <class T>
std::unique_ptr<Net<T>> deep_conv(Args& a, std::uint64_t seed) {
  InputDim dim = input_dim_arg(a, "deep-conv");
  auto cps = DeepConvNet<T>::default_conv_params();
  for (std::size_t k = 0; k < cps.size(); ++k) {
    const std::string key = "conv_param_" + std::to_string(k + 1);
    if (const json* j = a.object(key)) cps[k] = conv_param_from_json(*j, cps[k], "net deep-conv: " + key);
  }
  auto hidden = a.size("hidden_size", 50), out = a.size("output_size", 10);
  double ratio = a.number("dropout_ration", 0.5);
  a.reject_unknown();
  return std::make_unique<DeepConvNet<T>>(dim, cps, hidden, out, ratio, seed);
}

template <class T>
struct Entry {
  const char* name;
  std::unique_ptr<Net<T>> (*make)(Args&, std::uint64_t);
};

template <class T>
const std::vector<Entry<T>>& table() {
  static const std::vector<Entry<T>> t = {
      {"two-layer", two_layer<T>},                  // ch.5, layers, ReLU
      {"two-layer-sigmoid", two_layer_sigmoid<T>},  // ch.4, hand-written, sigmoid
      {"multi-layer", multi_layer<T>},              // ch.6
      {"multi-layer-extend", multi_layer<T>},       // ch.6, with use_batchnorm / use_dropout
      {"simple-conv", simple_conv<T>},              // ch.7, image input (N, C, H, W)
      {"deep-conv", deep_conv<T>},                  // ch.8, image input (N, C, H, W)
  };
  return t;
}

}  // namespace

std::vector<std::string> net_names() {
  std::vector<std::string> names;
  for (const auto& e : table<float>()) names.push_back(e.name);
  return names;
}

template <class T>
std::unique_ptr<Net<T>> make_net(const nlohmann::json& config, std::uint64_t seed) {
  if (!config.is_object()) throw std::invalid_argument("net config: expected a JSON object, got " + config.dump());
  auto it = config.find("net");
  if (it == config.end() || !it->is_string())
    throw std::invalid_argument("net config: expected a \"net\" name, got " + config.dump());
  const std::string name = it->get<std::string>();
  // Keras-style models describe their own layer list; they have no defaults to fill in.
  if (name == "sequential") return make_sequential_net<T>(config, seed);
  for (const auto& e : table<T>()) {
    if (name != e.name) continue;
    Args args(config, name);
    return e.make(args, seed);
  }
  require_known_net(name);  // throws: no table entry matched
  return nullptr;
}

void require_known_net(const std::string& name) {
  if (name == "sequential") return;
  std::string known;
  for (const auto& n : net_names()) {
    if (n == name) return;
    known += (known.empty() ? "" : ", ") + n;
  }
  throw std::invalid_argument("unknown net '" + name + "' (known: " + known + ")");
}

template std::unique_ptr<Net<float>> make_net<float>(const nlohmann::json&, std::uint64_t);
template std::unique_ptr<Net<double>> make_net<double>(const nlohmann::json&, std::uint64_t);

}  // namespace dlfs
