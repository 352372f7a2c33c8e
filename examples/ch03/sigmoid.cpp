// sigmoid.py (section 3.2.4): the sigmoid function on -5.0 ... 4.9, printed instead of plotted.
#include <cstdio>

#include "dlfs/functions.hpp"

int main() {
  auto y = dlfs::sigmoid(dlfs::Tensor<double>::from({-1.0, 1.0, 2.0}));
  std::printf("sigmoid([-1.0, 1.0, 2.0]) = [%.8f, %.8f, %.8f]\n", y[0], y[1], y[2]);  // book: 0.26894142 ...
  dlfs::Tensor<double> x({100});
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = -5.0 + 0.1 * double(i);
  auto s = dlfs::sigmoid(x);
  for (std::size_t i = 0; i < x.size(); i += 10) std::printf("x = %5.1f  y = %.6f\n", x[i], s[i]);
}
