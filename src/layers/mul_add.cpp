#include "dlfs/layers/mul_add.hpp"

namespace dlfs {

double MulLayer::forward(double x, double y) {
  x_ = x;
  y_ = y;
  return x * y;
}

std::pair<double, double> MulLayer::backward(double dout) const { return {dout * y_, dout * x_}; }

double AddLayer::forward(double x, double y) { return x + y; }

std::pair<double, double> AddLayer::backward(double dout) const { return {dout, dout}; }

AppleResult buy_apple() {
  const double apple = 100, apple_num = 2, tax = 1.1;
  MulLayer mul_apple_layer, mul_tax_layer;

  // forward
  double apple_price = mul_apple_layer.forward(apple, apple_num);
  double price = mul_tax_layer.forward(apple_price, tax);

  // backward
  double dprice = 1;
  auto [dapple_price, dtax] = mul_tax_layer.backward(dprice);
  auto [dapple, dapple_num] = mul_apple_layer.backward(dapple_price);
  return {price, dapple, dapple_num, dtax};
}

AppleOrangeResult buy_apple_orange() {
  const double apple = 100, apple_num = 2, orange = 150, orange_num = 3, tax = 1.1;
  MulLayer mul_apple_layer, mul_orange_layer, mul_tax_layer;
  AddLayer add_apple_orange_layer;

  // forward
  double apple_price = mul_apple_layer.forward(apple, apple_num);
  double orange_price = mul_orange_layer.forward(orange, orange_num);
  double all_price = add_apple_orange_layer.forward(apple_price, orange_price);
  double price = mul_tax_layer.forward(all_price, tax);

  // backward
  double dprice = 1;
  auto [dall_price, dtax] = mul_tax_layer.backward(dprice);
  auto [dapple_price, dorange_price] = add_apple_orange_layer.backward(dall_price);
  auto [dorange, dorange_num] = mul_orange_layer.backward(dorange_price);
  auto [dapple, dapple_num] = mul_apple_layer.backward(dapple_price);
  return {price, dapple_num, dapple, dorange, dorange_num, dtax};
}

}  // namespace dlfs
