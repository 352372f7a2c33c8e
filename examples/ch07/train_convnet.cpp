// ch07/train_convnet.py: SimpleConvNet trained by the book's Trainer (Adam lr 0.001, batch 100).
// Pass the number of epochs as the first argument (the book uses 20).
#include <cstdio>
#include <cstdlib>

#include "dlfs/data/mnist.hpp"
#include "dlfs/nets/simple_conv_net.hpp"
#include "dlfs/train/model_file.hpp"
#include "dlfs/train/trainer.hpp"

int main(int argc, char** argv) {
  using namespace dlfs;
  DataSplit data = load_dataset("mnist", "data");
  SimpleConvNet<float> network({1, 28, 28}, ConvParam{30, 5, 0, 1}, /*hidden_size=*/100, /*output_size=*/10,
                               /*weight_init_std=*/0.01);
  TrainConfig cfg;
  cfg.epochs = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 20;
  cfg.mini_batch_size = 100;
  cfg.optimizer = {"adam", 0.001};
  cfg.evaluate_sample_num_per_epoch = 1000;
  Trainer<float> trainer(network, data.train, data.test, cfg);
  trainer.train();
  std::printf("test acc %.4f\n", evaluate_accuracy(network, data.test));
  save_model(network, "params.npz");  // the book's network.save_params("params.pkl")
}
