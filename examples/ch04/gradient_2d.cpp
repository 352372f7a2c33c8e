// gradient_2d.py (section 4.4): the gradient of x0^2 + x1^2, at the book's three points and on a
// coarse grid (the arrows of figure 4-9 are -gradient; printed instead of plotted).
#include <cstdio>

#include "dlfs/gradient.hpp"

static double function_2(const dlfs::Tensor<double>& x) { return x[0] * x[0] + x[1] * x[1]; }

int main() {
  const double points[3][2] = {{3.0, 4.0}, {0.0, 2.0}, {3.0, 0.0}};
  for (const auto& p : points) {
    auto x = dlfs::Tensor<double>::from({p[0], p[1]});
    auto g = dlfs::numerical_gradient(function_2, x);  // book: [6, 8], [0, 4], [6, 0]
    std::printf("numerical_gradient(function_2, [%g, %g]) = [%g, %g]\n", p[0], p[1], g[0], g[1]);
  }
  std::printf("\n%8s %8s %10s %10s\n", "x0", "x1", "-grad0", "-grad1");
  for (double x0 = -2.0; x0 <= 2.5; x0 += 1.0)
    for (double x1 = -2.0; x1 <= 2.5; x1 += 1.0) {
      auto x = dlfs::Tensor<double>::from({x0, x1});
      auto g = dlfs::numerical_gradient(function_2, x);
      std::printf("%8.2f %8.2f %10.4f %10.4f\n", x0, x1, -g[0], -g[1]);
    }
}
