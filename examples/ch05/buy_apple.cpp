// buy_apple.py (chapter 5.4.1): forward and backward through two multiplication nodes.
#include <cstdio>

#include "dlfs/layers/mul_add.hpp"

int main() {
  auto r = dlfs::buy_apple();
  std::printf("price: %g\n", r.price);
  std::printf("dApple: %g\n", r.dapple);
  std::printf("dApple_num: %g\n", r.dapple_num);
  std::printf("dTax: %g\n", r.dtax);
}
