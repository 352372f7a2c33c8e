// The book's gradient_check.py for any net: backprop against central differences, per parameter.
#pragma once
#include <string>
#include <vector>

#include "dlfs/nets/net.hpp"

namespace dlfs {

struct GradCheckRow {
  std::string name;
  Shape shape;
  double mean_abs_diff = 0;  // mean |backprop - numerical|, what the book prints
  double max_rel_err = 0;    // max |b - n| / max(|b| + |n|, 1e-8)
};

// Computes numerical_gradient then gradient on (x, t) and compares them. Dropout masks are
// drawn once and frozen for the duration, so both gradients see the same function.
template <class T>
std::vector<GradCheckRow> gradient_check(Net<T>& net, const Tensor<T>& x, const Tensor<T>& t);

// Freezes (or releases) the masks of every Dropout layer in a layered net; no-op for other nets.
template <class T>
void freeze_dropout(Net<T>& net, bool frozen);

}  // namespace dlfs
