// buy_apple_orange.py (chapter 5.4.2): multiplication and addition nodes together.
#include <cstdio>

#include "dlfs/layers/mul_add.hpp"

int main() {
  auto r = dlfs::buy_apple_orange();
  std::printf("price: %g\n", r.price);
  std::printf("dApple: %g\n", r.dapple);
  std::printf("dApple_num: %g\n", r.dapple_num);
  std::printf("dOrange: %g\n", r.dorange);
  std::printf("dOrange_num: %g\n", r.dorange_num);
  std::printf("dTax: %g\n", r.dtax);
}
