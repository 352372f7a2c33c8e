// ch05/gradient_check.py: backprop against numerical gradients on three training digits, in double.
#include <cmath>
#include <cstdio>

#include "dlfs/data/mnist.hpp"
#include "dlfs/nets/two_layer_net.hpp"

int main() {
  using namespace dlfs;
  auto [x_train, t_train, x_test, t_test] = load_mnist<double>("data/mnist", true, true, /*one_hot_label=*/true);
  TwoLayerNet<double> network(784, 50, 10);
  Tensor<double> x_batch({3, 784}, std::vector<double>(x_train.data(), x_train.data() + 3 * 784));
  Tensor<double> t_batch({3, 10}, std::vector<double>(t_train.data(), t_train.data() + 3 * 10));

  network.numerical_gradient(x_batch, t_batch);
  std::vector<Tensor<double>> grad_numerical;
  for (Param<double>* p : network.params()) grad_numerical.push_back(p->grad);
  network.gradient(x_batch, t_batch);

  auto params = network.params();
  for (std::size_t k = 0; k < params.size(); ++k) {
    double diff = 0;
    for (std::size_t i = 0; i < params[k]->grad.size(); ++i) diff += std::abs(params[k]->grad[i] - grad_numerical[k][i]);
    std::printf("%s:%g\n", params[k]->name.c_str(), diff / double(params[k]->grad.size()));
  }
}
