// step_function.py (section 3.2.3): the step function on -5.0 ... 4.9, printed instead of plotted.
#include <cstdio>

#include "dlfs/functions.hpp"

int main() {
  dlfs::Tensor<double> x({100});
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = -5.0 + 0.1 * double(i);  // np.arange(-5.0, 5.0, 0.1)
  auto y = dlfs::step_function(x);
  for (std::size_t i = 0; i < x.size(); i += 10) std::printf("x = %5.1f  y = %g\n", x[i], y[i]);
  std::printf("step_function([-1.0, 1.0, 2.0]) = ");
  auto z = dlfs::step_function(dlfs::Tensor<double>::from({-1.0, 1.0, 2.0}));
  std::printf("[%g, %g, %g]\n", z[0], z[1], z[2]);
}
