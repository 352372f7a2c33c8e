// gradient_method.py (section 4.4.1): gradient descent on x0^2 + x1^2 from (-3, 4), with the
// book's learning rate 0.1 and the two bad ones of the text (10 and 1e-10).
#include <cstdio>
#include <vector>

#include "dlfs/gradient.hpp"

static double function_2(const dlfs::Tensor<double>& x) { return x[0] * x[0] + x[1] * x[1]; }

int main() {
  std::vector<dlfs::Tensor<double>> x_history;
  auto x = dlfs::gradient_descent(function_2, dlfs::Tensor<double>::from({-3.0, 4.0}), 0.1, 100, &x_history);
  std::printf("lr=0.1:   x = [%.8e, %.8e]\n", x[0], x[1]);  // book: [-6.11110793e-10, 8.14814391e-10]
  std::printf("trajectory (every 10th step):\n");
  for (std::size_t i = 0; i < x_history.size(); i += 10)
    std::printf("  step %3zu: [%10.6f, %10.6f]\n", i, x_history[i][0], x_history[i][1]);
  for (double lr : {10.0, 1e-10}) {  // book: [-2.58983747e+13, -1.29524862e+12] and [-2.99999994, 3.99999992]
    auto y = dlfs::gradient_descent(function_2, dlfs::Tensor<double>::from({-3.0, 4.0}), lr, 100);
    std::printf("lr=%g: x = [%.8e, %.8e]\n", lr, y[0], y[1]);
  }
}
