// sig_step_compare.py (section 3.2.5): the sigmoid and the step function side by side.
#include <cstdio>

#include "dlfs/functions.hpp"

int main() {
  dlfs::Tensor<double> x({100});
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = -5.0 + 0.1 * double(i);
  auto y1 = dlfs::sigmoid(x);
  auto y2 = dlfs::step_function(x);
  std::printf("%6s %10s %6s\n", "x", "sigmoid", "step");
  for (std::size_t i = 0; i < x.size(); i += 5) std::printf("%6.1f %10.6f %6g\n", x[i], y1[i], y2[i]);
}
