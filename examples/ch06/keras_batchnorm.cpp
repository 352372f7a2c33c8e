// The seed's Keras batch-norm experiment in dlfs's Keras-like API: a 784-50-50-10 sigmoid net
// trained with SGD (Keras's default lr 0.01) for 30 epochs of batch 100, once without and once
// with BatchNormalization (placed as the book's MultiLayerNetExtend: Dense -> BN -> activation).
// Prints the final test accuracies and writes keras_batchnorm.png (test accuracy per epoch).
// Run from the repository root (reads data/mnist): build/examples/ch06_keras_batchnorm
#include <cstdio>

#include "dlfs/data/mnist.hpp"
#include "dlfs/io/plot.hpp"
#include "dlfs/keras.hpp"

using namespace dlfs::keras;

History run(bool use_batchnorm, const dlfs::MnistArrays<float>& d) {
  Sequential model;
  model.add(Input({784}));
  for (int i = 0; i < 2; ++i) {
    model.add(Dense(50));
    if (use_batchnorm) model.add(BatchNormalization());
    model.add(Activation("sigmoid"));
  }
  model.add(Dense(10, "softmax"));
  model.compile(SGD(0.01), "categorical_crossentropy", {"accuracy"});
  return model.fit(d.x_train, d.t_train,
                   {.batch_size = 100, .epochs = 30, .verbose = 2, .validation_data = {d.x_test, d.t_test}});
}

int main() {
  const auto data = dlfs::load_mnist<float>("data/mnist", true, true, /*one_hot_label=*/true);
  const History plain = run(false, data), bn = run(true, data);
  std::printf("test accuracy without BatchNormalization: %.4f\n", plain.val_accuracy.back());
  std::printf("test accuracy with BatchNormalization:    %.4f\n", bn.val_accuracy.back());

  if (!dlfs::gnuplot_available()) return 0;
  std::vector<double> epochs;
  for (int e : bn.epoch) epochs.push_back(e + 1);
  dlfs::PlotSpec spec;
  spec.title = "784-50-50-10 sigmoid, SGD(0.01), batch 100";
  spec.xlabel = "epochs";
  spec.ylabel = "test accuracy";
  spec.ymin = 0.0;
  spec.ymax = 1.0;
  spec.legend = "bottom right";
  spec.series = {{"Batch Normalization", epochs, bn.val_accuracy},
                 {"Normal (without BatchNorm)", epochs, plain.val_accuracy, "dashed"}};
  dlfs::plot_lines("keras_batchnorm.png", spec);
  std::printf("wrote keras_batchnorm.png\n");
}
