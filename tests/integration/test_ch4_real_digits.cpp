// gradient_check.py of chapter 4 on real data: the chapter-4 TwoLayerNet (784, 50, 10) on the first
// three MNIST training digits, analytic gradient against central differences over all 39,760
// parameters, in double. The book prints mean |diff| of about 2e-10 (W1), 9e-10 (b1), 7e-8 (W2)
// and 1.4e-7 (b2).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "dlfs/data/dataset.hpp"
#include "dlfs/data/mnist.hpp"
#include "dlfs/gradient.hpp"
#include "dlfs/nets/two_layer_net_ch4.hpp"

using namespace dlfs;

TEST(Ch4RealDigits, TwoLayerNetGradientCheck) {
  const std::string dir = DLFS_TEST_DATA_DIR;
  if (!std::filesystem::exists(dir + "/mnist")) GTEST_SKIP() << "no MNIST folder in " << dir;
  DataSplit data = load_dataset("mnist", dir);

  const std::size_t idx[] = {0, 1, 2};  // x_train[:3], t_train[:3]
  Tensor<double> x, t;
  gather_batch(data.train, idx, 3, /*flatten=*/true, x, t);
  ASSERT_EQ(x.shape(), (Shape{3, 784}));
  // The book loads one-hot labels for this check.
  const Tensor<double> t_hot = one_hot<double>({data.train.labels[0], data.train.labels[1], data.train.labels[2]});

  TwoLayerNetCh4<double> net(784, 50, 10);  // weight_init_std 0.01, as the book
  std::vector<Tensor<double>> numerical;
  for (Param<double>* p : net.params())
    numerical.push_back(numerical_gradient([&](const Tensor<double>&) { return net.loss(x, t_hot); }, p->value));
  net.gradient(x, t_hot);

  const double limits[] = {1e-8, 1e-8, 1e-6, 1e-6};
  auto ps = net.params();
  for (std::size_t k = 0; k < ps.size(); ++k) {
    double s = 0;
    for (std::size_t i = 0; i < numerical[k].size(); ++i) s += std::abs(ps[k]->grad[i] - numerical[k][i]);
    const double diff = s / double(numerical[k].size());
    std::printf("%s:%.3g\n", ps[k]->name.c_str(), diff);
    EXPECT_LT(diff, limits[k]) << ps[k]->name;
  }
  // Real pixels reach W1: its gradient is not all zeros (blank borders are, the strokes are not).
  double w1_max = 0;
  for (double g : ps[0]->grad) w1_max = std::max(w1_max, std::abs(g));
  EXPECT_GT(w1_max, 1e-5);

  // Class indices give the same analytic gradient as one-hot labels.
  const Tensor<double> g_hot = ps[2]->grad;
  net.gradient(x, t);
  for (std::size_t i = 0; i < g_hot.size(); ++i) EXPECT_NEAR(ps[2]->grad[i], g_hot[i], 1e-15);
}
