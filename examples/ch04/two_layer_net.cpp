// two_layer_net.py (section 4.5.1): the chapter-4 TwoLayerNet(784, 100, 10), its parameter shapes,
// and its gradients on a dummy batch of 100 as in the text (np.random.rand(100, 784)).
#include <cmath>
#include <cstdio>

#include "dlfs/nets/two_layer_net_ch4.hpp"
#include "dlfs/rng.hpp"

int main() {
  dlfs::TwoLayerNetCh4<float> net(784, 100, 10);
  for (auto* p : net.params()) std::printf("%s: %s\n", p->name.c_str(), dlfs::shape_str(p->value.shape()).c_str());

  dlfs::Rng rng(0);
  dlfs::Tensor<float> x({100, 784}), t({100});  // dummy inputs and labels
  for (auto& v : x) v = float(rng.uniform());
  for (auto& v : t) v = float(rng.randint(10));

  const float loss = net.gradient(x, t);
  std::printf("loss = %.6f (about log(10) = 2.302585 for small random weights)\n", loss);
  for (auto* p : net.params()) {
    double sq = 0;
    for (float g : p->grad) sq += double(g) * g;
    std::printf("grads['%s']: %s, norm %.4e\n", p->name.c_str(), dlfs::shape_str(p->grad.shape()).c_str(), std::sqrt(sq));
  }
}
