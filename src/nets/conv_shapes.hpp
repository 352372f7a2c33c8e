// Shape arithmetic shared by the conv nets' constructors: each layer's output size, checked up
// front so that a config that cannot work fails when the net is built, naming the layer.
#pragma once
#include <cstddef>
#include <stdexcept>
#include <string>

namespace dlfs::detail {

// (in + 2*pad - filter) / stride + 1, or std::invalid_argument naming `where`.
inline std::size_t conv_out(std::size_t in, std::size_t filter, std::size_t pad, std::size_t stride,
                            const std::string& where) {
  if (filter == 0 || stride == 0)
    throw std::invalid_argument(where + ": filter_size and stride must be >= 1");
  if (in + 2 * pad < filter)
    throw std::invalid_argument(where + ": filter_size " + std::to_string(filter) +
                                " does not fit the padded input (" + std::to_string(in) + " + 2*" +
                                std::to_string(pad) + ")");
  return (in + 2 * pad - filter) / stride + 1;
}

// 2x2 pooling with stride 2, as both conv nets use.
inline std::size_t pool_out(std::size_t in, const std::string& where) {
  if (in < 2)
    throw std::invalid_argument(where + ": the 2x2 pooling needs a feature map of at least 2x2, got size " +
                                std::to_string(in));
  return (in - 2) / 2 + 1;
}

}  // namespace dlfs::detail
