// relu.py (section 3.2.7): ReLU on -5.0 ... 4.9, printed instead of plotted.
#include <cstdio>

#include "dlfs/functions.hpp"

int main() {
  dlfs::Tensor<double> x({100});
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = -5.0 + 0.1 * double(i);
  auto y = dlfs::relu(x);
  for (std::size_t i = 0; i < x.size(); i += 10) std::printf("x = %5.1f  y = %g\n", x[i], y[i]);
}
