#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "dlfs/optim/optimizers.hpp"

namespace dlfs {

const std::vector<std::string>& optimizer_names() {
  static const std::vector<std::string> names = {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"};
  return names;
}

template <class T>
std::unique_ptr<Optimizer<T>> make_optimizer(const OptimizerSpec& spec) {
  std::string name = spec.name;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  // Each constructor checks the hyper-parameters it uses (lr finite and > 0, the rest in [0, 1)).
  if (name == "sgd") return std::make_unique<SGD<T>>(spec.lr);
  if (name == "momentum") return std::make_unique<Momentum<T>>(spec.lr, spec.momentum);
  if (name == "nesterov") return std::make_unique<Nesterov<T>>(spec.lr, spec.momentum);
  if (name == "adagrad") return std::make_unique<AdaGrad<T>>(spec.lr);
  if (name == "rmsprop") return std::make_unique<RMSprop<T>>(spec.lr, spec.decay_rate);
  if (name == "adam") return std::make_unique<Adam<T>>(spec.lr, spec.beta1, spec.beta2);
  std::string list;
  for (const auto& n : optimizer_names()) list += (list.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown optimizer '" + spec.name + "' (accepted: " + list + ")");
}

template std::unique_ptr<Optimizer<float>> make_optimizer<float>(const OptimizerSpec&);
template std::unique_ptr<Optimizer<double>> make_optimizer<double>(const OptimizerSpec&);

}  // namespace dlfs
