// Chapter 5.4: the multiplication and addition nodes of a computational graph, on scalars, and the
// book's shopping examples built from them (apples: 100 x 2 x 1.1 = 220).
#pragma once
#include <utility>

namespace dlfs {

// out = x * y. Keeps x and y: the local derivative of x is y and vice versa.
class MulLayer {
 public:
  double forward(double x, double y);
  // returns (dx, dy) = (dout * y, dout * x)
  std::pair<double, double> backward(double dout) const;

 private:
  double x_ = 0, y_ = 0;
};

// out = x + y. Passes dout unchanged to both inputs, so it needs to keep nothing.
class AddLayer {
 public:
  double forward(double x, double y);
  std::pair<double, double> backward(double dout) const;
};

// buy_apple.py: 2 apples at 100 each, 10% tax.
struct AppleResult {
  double price;       // 220
  double dapple;      // 2.2
  double dapple_num;  // 110
  double dtax;        // 200
};
AppleResult buy_apple();

// buy_apple_orange.py: 2 apples at 100, 3 oranges at 150, 10% tax.
struct AppleOrangeResult {
  double price;        // 715
  double dapple_num;   // 110
  double dapple;       // 2.2
  double dorange;      // 3.3
  double dorange_num;  // 165
  double dtax;         // 650
};
AppleOrangeResult buy_apple_orange();

}  // namespace dlfs
