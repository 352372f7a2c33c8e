// The files a training run leaves for the user: OUT/history.csv, OUT/accuracy.png, OUT/loss.png
// and OUT/misclassified.png.
#pragma once
#include <string>

#include "dlfs/data/dataset.hpp"
#include "dlfs/nets/net.hpp"
#include "dlfs/train/history.hpp"

namespace dlfs {

// A PNG grid of up to `count` misclassified test digits captioned "true 4 / pred 9".
// Returns how many were drawn.
template <class T>
std::size_t write_misclassified_grid(const std::string& png_path, Net<T>& net, const Dataset& test,
                                     std::size_t count = 40);

// history.csv and the two curves always; the misclassified grid when the net is given. Plots are
// skipped with a warning on stderr (not an error) when gnuplot is missing.
template <class T>
void write_training_report(const std::string& out_dir, Net<T>& net, const DataSplit& data, const History& h,
                           const std::string& title, bool quiet);

}  // namespace dlfs
