// gradient_1d.py (section 4.3.2): the numerical derivative of 0.01x^2 + 0.1x and its tangent line.
#include <cstdio>

#include "dlfs/gradient.hpp"

int main() {
  auto function_1 = [](double x) { return 0.01 * (x * x) + 0.1 * x; };
  for (double x : {5.0, 10.0}) {
    const double d = dlfs::numerical_diff(function_1, x);  // book: 0.1999999999990898, 0.2999999999986347
    const double y = function_1(x) - d * x;
    std::printf("x = %g: numerical_diff = %.16g, tangent line y = %.16g * x %+.16g\n", x, d, d, y);
  }
}
