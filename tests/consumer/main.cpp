// An embedder's program, built against an installed dlfs (find_package or pkg-config): trains the
// book's two-layer net for a few hundred SGD steps on three synthetic point clouds held in memory,
// saves it with save_model, loads it back with load_model and checks the reloaded net predicts
// exactly what the trained one does. Exits non-zero, with one line on stderr, on any mismatch.
// Usage: consumer MODEL.npz
#include <cmath>
#include <cstdio>
#include <string>

#include "dlfs/nets/two_layer_net.hpp"
#include "dlfs/optim/sgd.hpp"
#include "dlfs/rng.hpp"
#include "dlfs/train/model_file.hpp"

namespace {

int fail(const std::string& what) {
  std::fprintf(stderr, "consumer: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace dlfs;
  if (argc != 2) return fail("usage: consumer MODEL.npz");
  const std::string path = argv[1];

  // 90 points in 2-D: class k is a unit-variance-0.3 cloud around centre k (well separated).
  const std::size_t n = 90, classes = 3;
  const float centres[classes][2] = {{-2.f, 0.f}, {2.f, 0.f}, {0.f, 2.5f}};
  Tensor<float> x({n, 2}), t({n, classes});
  Rng rng(7);
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t k = i % classes;
    x(i, 0) = centres[k][0] + 0.3f * static_cast<float>(rng.normal());
    x(i, 1) = centres[k][1] + 0.3f * static_cast<float>(rng.normal());
    t(i, k) = 1.f;
  }

  TwoLayerNet<float> net(2, 16, classes, /*weight_init_std=*/0.5, /*seed=*/1);
  SGD<float> sgd(0.1);
  const float first_loss = net.loss(x, t, false);
  for (int step = 0; step < 300; ++step) {
    net.gradient(x, t);
    sgd.update(net.params());
  }
  const float last_loss = net.loss(x, t, false);
  const double acc = net.accuracy(x, t);
  std::printf("loss %.4f -> %.4f, accuracy %.3f, config %s\n", first_loss, last_loss, acc, net.config().dump().c_str());
  if (!(last_loss < 0.5f * first_loss)) return fail("training did not halve the loss");
  if (acc < 0.95) return fail("accuracy " + std::to_string(acc) + " below 0.95 on separable clouds");

  save_model(net, path);
  auto loaded = load_model<float>(path);
  if (loaded->name() != "two-layer") return fail("reloaded net is " + loaded->name() + ", expected two-layer");
  if (loaded->config() != net.config()) return fail("reloaded config differs: " + loaded->config().dump());
  const Tensor<float> before = net.predict(x);
  const Tensor<float>& after = loaded->predict(x);
  if (!(before == after)) return fail("reloaded net's scores differ from the trained net's");
  std::printf("saved %s and reloaded it: %zu identical score rows\n", path.c_str(), n);
  return 0;
}
