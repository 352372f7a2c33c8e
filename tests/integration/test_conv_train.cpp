// Chapters 7-8 as a user runs them: `dlfs train --net simple-conv|deep-conv` with the book's
// settings (Adam lr 0.001, batch 100, 20 epochs) on the 8,000/2,000 MNIST split, to the issue's
// targets, with curves and the misclassified grid. Two threads: the conv nets compute the same
// bytes with any thread count (tests/nets/test_conv_nets.cpp), so the numbers do not depend on
// the machine's core count either way.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "integration/cli_run.hpp"

using namespace dlfs_test;
namespace fs = std::filesystem;

namespace {
double train_conv(const std::string& net, const std::string& dir) {
  fs::remove_all(dir);
  auto r = run_dlfs("train --net " + net + " --epochs 20 --optimizer adam --lr 0.001 --batch 100 --threads 2 --quiet" +
                        " --json --data-root '" + DLFS_TEST_DATA_DIR + "' --out '" + dir + "/out' --save '" + dir +
                        "/model.npz'",
                    dir);
  EXPECT_EQ(r.status, 0) << r.err;
  for (const char* f : {"out/accuracy.png", "out/loss.png", "out/misclassified.png", "out/filters.png", "out/history.csv", "model.npz"})
    EXPECT_TRUE(fs::exists(dir + "/" + f)) << f;
  auto p = run_dlfs("predict --model '" + dir + "/model.npz' --index 0 --json --data-root '" + DLFS_TEST_DATA_DIR + "'",
                    dir);
  EXPECT_EQ(p.status, 0) << p.err;
  auto pj = nlohmann::json::parse(last_line(p.out));
  EXPECT_EQ(pj["predicted"], pj["label"]);
  return nlohmann::json::parse(last_line(r.out))["final_test_acc"].get<double>();
}
std::string tmp(const std::string& name) {
  return (fs::temp_directory_path() / ("dlfs_" + name + "_" + std::to_string(::getpid()))).string();
}
}  // namespace

TEST(ConvTrain, SimpleConvNetReachesNinetySevenPercent) {
  if (!have_mnist()) GTEST_SKIP() << "no data/mnist";
  EXPECT_GE(train_conv("simple-conv", tmp("simple_conv")), 0.97);
}

// Measured: 0.9840 at the commit that added this test (10 minutes with two threads on two cores
// shared with other jobs; by per-layer timings about 4 minutes of one idle core); seeds 1 and 2 gave 0.9840 and 0.9900 and other commits 0.9825-0.9860. The 0.9765
// once measured before came from a different float rounding of the same steps, not a wrong
// gradient (DeepConvNet.SparseAffinePathGivesTheDenseGradients).
TEST(ConvTrain, DeepConvNetReachesNinetyEightPercent) {
  if (!have_mnist()) GTEST_SKIP() << "no data/mnist";
  EXPECT_GE(train_conv("deep-conv", tmp("deep_conv")), 0.98);
}
