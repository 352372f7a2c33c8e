// Time per epoch of the book's SimpleConvNet on the 8,000 MNIST training digits, Adam lr 0.001,
// batch 100 (train_convnet.py's settings). Not built by CMake; build by hand against a build dir:
//   g++ -std=c++20 -O3 -Iinclude -I/usr/include/x86_64-linux-gnu/openblas-pthread bench/conv_epoch.cpp \
//       -Lbuild -ldlfs_nets -ldlfs_layers -ldlfs_optim -ldlfs_data -ldlfs_core -lopenblas -lz -o conv_epoch
//   ./conv_epoch [epochs=3] [threads=0 (all cores)] [data_dir=data]
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "dlfs/data/mnist.hpp"
#include "dlfs/linalg.hpp"
#include "dlfs/nets/simple_conv_net.hpp"
#include "dlfs/optim/optimizer.hpp"
#include "dlfs/rng.hpp"

int main(int argc, char** argv) {
  using clock = std::chrono::steady_clock;
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 3;
  dlfs::set_num_threads(argc > 2 ? std::atoi(argv[2]) : 0);
  const std::string data_dir = argc > 3 ? argv[3] : "data";

  dlfs::DataSplit d = dlfs::load_dataset("mnist", data_dir);
  dlfs::SimpleConvNet<float> net;  // the book's (1, 28, 28), 30 filters 5x5, hidden 100
  dlfs::OptimizerSpec spec;
  spec.name = "adam";
  spec.lr = 0.001;
  auto opt = dlfs::make_optimizer<float>(spec);
  dlfs::Rng rng(1);

  const std::size_t N = d.train.size(), B = 100;
  dlfs::Tensor<float> x, t;
  std::printf("%zu training digits, batch %zu, %d BLAS threads\n", N, B, dlfs::num_threads());
  for (int e = 1; e <= epochs; ++e) {
    const auto start = clock::now();
    const std::clock_t cpu0 = std::clock();  // CPU time too: on a busy machine wall time says little
    const auto perm = rng.permutation(N);
    double loss = 0;
    for (std::size_t i = 0; i + B <= N; i += B) {
      dlfs::gather_batch(d.train, perm.data() + i, B, /*flatten=*/false, x, t);
      loss += net.gradient(x, t);
      opt->update(net.params());
    }
    const double sec = std::chrono::duration<double>(clock::now() - start).count();
    const double cpu = double(std::clock() - cpu0) / CLOCKS_PER_SEC;
    dlfs::Tensor<float> xt, tt;
    dlfs::slice_batch(d.test, 0, d.test.size(), false, xt, tt);
    std::printf("epoch %d: %.3f s wall, %.3f s CPU (%.3f s wall per 10,000 digits), mean loss %.4f, test acc %.4f\n",
                e, sec, cpu, sec * 10000.0 / double(N), loss / double(N / B), net.accuracy(xt, tt, 1000));
  }
}
