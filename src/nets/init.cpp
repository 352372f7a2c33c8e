#include "dlfs/nets/init.hpp"

#include <cctype>
#include <cmath>
#include <stdexcept>

namespace dlfs {

double init_scale(const std::string& spec, std::size_t n_in) {
  std::string s;
  for (char c : spec) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool he = s == "he" || s == "relu", xavier = s == "xavier" || s == "sigmoid";
  if (he || xavier) {
    if (n_in == 0) throw std::invalid_argument("weight_init_std '" + spec + "': the layer has no inputs");
    return std::sqrt((he ? 2.0 : 1.0) / static_cast<double>(n_in));
  }
  double v = 0;
  std::size_t used = 0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != s.size())
    throw std::invalid_argument("weight_init_std: expected a number, he, relu, xavier or sigmoid, got '" + spec +
                                "'");
  if (!std::isfinite(v) || v < 0)
    throw std::invalid_argument("weight_init_std: expected a finite number >= 0, got '" + spec + "'");
  return v;
}

void check_param_size(const Shape& shape, const std::string& what) {
  std::size_t n = 0;
  try {
    n = shape_numel(shape);
  } catch (const ShapeError&) {
    n = kMaxParamElements + 1;
  }
  if (n > kMaxParamElements)
    throw std::invalid_argument(what + ": shape " + shape_str(shape) + " is too large (more than " +
                                std::to_string(kMaxParamElements) + " elements)");
}

template <class T>
Tensor<T> randn(const Shape& shape, double scale, Rng& rng, const std::string& what) {
  check_param_size(shape, what);
  Tensor<T> t(shape);
  for (auto& v : t) v = static_cast<T>(scale * rng.normal());
  return t;
}

template Tensor<float> randn<float>(const Shape&, double, Rng&, const std::string&);
template Tensor<double> randn<double>(const Shape&, double, Rng&, const std::string&);

}  // namespace dlfs
