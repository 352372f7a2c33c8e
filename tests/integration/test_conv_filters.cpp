// Chapter 7: the first-layer filters of SimpleConvNet go from noise to smooth detectors.
#include <gtest/gtest.h>

#include <filesystem>

#include "dlfs/data/mnist.hpp"
#include "dlfs/train/exp_conv_filters.hpp"

using namespace dlfs;

TEST(ConvFilters, TrainingSmoothsTheFiltersAndWritesBothGrids) {
  if (!std::filesystem::exists(std::string(DLFS_TEST_DATA_DIR) + "/mnist")) GTEST_SKIP() << "no data/mnist";
  DataSplit data = load_dataset("mnist", DLFS_TEST_DATA_DIR);
  auto dir = std::filesystem::temp_directory_path() / ("dlfs_conv_filters_" + std::to_string(::getpid()));
  ExperimentOptions o;
  o.quick = true;
  o.out_dir = dir.string();
  ConvFiltersResult r = run_conv_filters(data, o);
  // Gaussian noise filters: neighbouring weights differ by about as much as the weights themselves.
  EXPECT_GT(r.roughness_before, 1.5);
  EXPECT_LT(r.roughness_after, 0.6 * r.roughness_before);
  EXPECT_GT(r.test_acc, 0.6);  // 60 Adam iterations already learn
  for (const char* f : {"filters_before.png", "filters_after.png"})
    EXPECT_GT(std::filesystem::file_size(dir / f), 1000u) << f;
  std::filesystem::remove_all(dir);
}
