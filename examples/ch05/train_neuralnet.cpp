// ch05/train_neuralnet.py, line for line: mini-batch SGD on the layered TwoLayerNet.
// Run from the repository root (reads data/mnist).
#include <cstdio>

#include "dlfs/data/mnist.hpp"
#include "dlfs/nets/two_layer_net.hpp"
#include "dlfs/rng.hpp"

int main() {
  using namespace dlfs;
  auto [x_train, t_train, x_test, t_test] = load_mnist<float>("data/mnist", /*normalize=*/true, /*flatten=*/true,
                                                              /*one_hot_label=*/true);
  TwoLayerNet<float> network(784, 50, 10);

  const std::size_t iters_num = 10000, train_size = x_train.dim(0), batch_size = 100;
  const float learning_rate = 0.1f;
  const std::size_t iter_per_epoch = std::max<std::size_t>(train_size / batch_size, 1);
  Rng rng(0);
  std::vector<std::size_t> batch_mask;
  Tensor<float> x_batch({batch_size, 784}), t_batch({batch_size, 10});

  for (std::size_t i = 0; i < iters_num; ++i) {
    rng.choice(train_size, batch_size, batch_mask);  // np.random.choice(train_size, batch_size)
    for (std::size_t r = 0; r < batch_size; ++r) {
      std::copy_n(x_train.data() + batch_mask[r] * 784, 784, x_batch.data() + r * 784);
      std::copy_n(t_train.data() + batch_mask[r] * 10, 10, t_batch.data() + r * 10);
    }
    network.gradient(x_batch, t_batch);  // backprop; grads sit next to each param
    for (Param<float>* p : network.params())
      for (std::size_t k = 0; k < p->value.size(); ++k) p->value[k] -= learning_rate * p->grad[k];

    if (i % iter_per_epoch == 0) {
      double train_acc = network.accuracy(x_train, t_train), test_acc = network.accuracy(x_test, t_test);
      std::printf("%g %g\n", train_acc, test_acc);
    }
  }
}
