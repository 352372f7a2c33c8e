// --check-numerics names the first layer, tensor and iteration where a NaN or Inf appears; without
// it, a diverging run stops with a clear reason and records no accuracies of broken weights.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "dlfs/nets/layer_net.hpp"
#include "dlfs/nets/registry.hpp"
#include "dlfs/train/trainer.hpp"

using namespace dlfs;

namespace {

// 30 rows of a byte pattern (file-handling and numerics tests, not learning).
Dataset pattern_set(std::size_t n) {
  Dataset d;
  d.images = Tensor<std::uint8_t>({n, 4, 4});
  for (std::size_t i = 0; i < d.images.size(); ++i) d.images[i] = static_cast<std::uint8_t>((i * 37) % 256);
  for (std::size_t i = 0; i < n; ++i) d.labels.push_back(static_cast<std::uint8_t>(i % 3));
  d.num_classes = 3;
  return d;
}

std::unique_ptr<Net<float>> small_net() {
  return make_net<float>({{"net", "two-layer"}, {"input_size", 16}, {"hidden_size", 5}, {"output_size", 3}}, 1);
}

TrainConfig quiet(bool check) {
  TrainConfig c;
  c.iters = 20;
  c.mini_batch_size = 4;
  c.verbose = false;
  c.check_numerics = check;
  return c;
}

}  // namespace

TEST(CheckNumerics, NamesLayerTensorElementAndIteration) {
  Dataset d = pattern_set(30);
  auto net = small_net();
  net->param("b2").value[1] = std::numeric_limits<float>::quiet_NaN();
  Trainer<float> tr(*net, d, d, quiet(true));
  try {
    tr.train();
    FAIL() << "expected NumericsError";
  } catch (const NumericsError& e) {
    EXPECT_STREQ(e.what(), "check-numerics: Affine2 forward output has NaN (element [0, 1]) at iteration 1");
  }
}

TEST(CheckNumerics, LayerNetSwitchOnAndOff) {
  auto net = small_net();
  auto& ln = dynamic_cast<LayerNet<float>&>(*net);
  ln.set_check_numerics(true);
  Tensor<float> x({2, 16}, 0.5f), t = Tensor<float>::from({0, 2});
  // An infinite weight in W1 makes the first forward output Inf: caught before any backward.
  net->param("W1").value[3] = std::numeric_limits<float>::infinity();
  try {
    net->gradient(x, t);
    FAIL() << "expected NumericsError";
  } catch (const NumericsError& e) {
    EXPECT_STREQ(e.what(), "check-numerics: Affine1 forward output has Inf (element [0, 3])");
  }
  // Switched off, the same net runs through (NaN flows into the loss unchecked).
  ln.set_check_numerics(false);
  EXPECT_NO_THROW(net->gradient(x, t));
}

TEST(CheckNumerics, DivergenceWithoutTheFlagStopsCleanly) {
  Dataset d = pattern_set(30);
  auto net = small_net();
  TrainConfig c = quiet(false);
  c.optimizer.lr = 1e30;
  Trainer<float> tr(*net, d, d, c);
  const History& h = tr.train();
  EXPECT_TRUE(h.diverged);
  EXPECT_NE(h.stop_reason.find("training diverged at iteration "), std::string::npos) << h.stop_reason;
  EXPECT_LT(tr.current_iter(), 20u);
  for (double a : h.train_acc) EXPECT_TRUE(std::isfinite(a));
  for (double l : h.train_loss) EXPECT_TRUE(std::isfinite(l));
}
