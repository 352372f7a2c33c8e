// Weight initialisation (chapter 6.2): the standard deviation of the initial weights, and the
// draw itself, like weight_init_std * np.random.randn(rows, cols).
#pragma once
#include <cstddef>
#include <string>

#include "dlfs/rng.hpp"
#include "dlfs/tensor.hpp"

namespace dlfs {

// The book's weight_init_std for a layer with n_in inputs:
//   a number ("0.01")    -> that number
//   "he" or "relu"       -> sqrt(2 / n_in)   (He et al., for ReLU)
//   "xavier" or "sigmoid"-> sqrt(1 / n_in)   (Xavier Glorot, for sigmoid/tanh)
// Case-insensitive, as the book's str(weight_init_std).lower(). Throws std::invalid_argument
// naming the accepted values for anything else (or a negative/non-finite number, or n_in = 0).
double init_scale(const std::string& spec, std::size_t n_in);

// Largest tensor a net constructor will allocate (2^28 elements, 1 GiB of float): a mistyped size
// in a config file must fail with a message, not exhaust memory.
inline constexpr std::size_t kMaxParamElements = std::size_t(1) << 28;

// scale * N(0, 1) in row-major order. Throws std::invalid_argument naming `what` when the shape
// has more than kMaxParamElements elements.
template <class T>
Tensor<T> randn(const Shape& shape, double scale, Rng& rng, const std::string& what);

// Throws std::invalid_argument naming `what` when the shape is too large to allocate.
void check_param_size(const Shape& shape, const std::string& what);

}  // namespace dlfs
