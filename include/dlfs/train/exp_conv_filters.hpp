// Chapter 7's visualize_filter.py: SimpleConvNet's 30 first-layer filters before and after
// training, as picture grids.
#pragma once
#include "dlfs/train/experiments.hpp"

namespace dlfs {

struct ConvFiltersResult : ExperimentOutput {
  double test_acc = 0;
  // Mean absolute difference between a filter and its neighbours (in the 5x5 grid), averaged over
  // the 30 filters: random filters are rough, trained ones are smooth edge and blob detectors.
  double roughness_before = 0, roughness_after = 0;
};
ConvFiltersResult run_conv_filters(const DataSplit& data, const ExperimentOptions& o);

}  // namespace dlfs
