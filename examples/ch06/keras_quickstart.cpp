// The Keras quick start in dlfs: a 784-50-10 classifier on MNIST in ten lines (dlfs/keras.hpp).
// Run from the repository root (reads data/mnist).
#include <cstdio>

#include "dlfs/data/mnist.hpp"
#include "dlfs/keras.hpp"

int main() {
  using namespace dlfs::keras;
  auto [x_train, y_train, x_test, y_test] = dlfs::load_mnist<float>("data/mnist", true, true, /*one_hot_label=*/true);

  Sequential model;
  model.add(Dense(50, "relu", /*input_dim=*/784));
  model.add(Dense(10, "softmax"));
  model.compile("adam", "categorical_crossentropy", {"accuracy"});
  model.summary();
  model.fit(x_train, y_train, {.batch_size = 100, .epochs = 5, .validation_data = {x_test, y_test}});
  auto [loss, accuracy] = model.evaluate(x_test, y_test);
  std::printf("test loss %.4f, test accuracy %.4f\n", loss, accuracy);
}
