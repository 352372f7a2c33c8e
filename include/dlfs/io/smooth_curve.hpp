// The book's common/util.py smooth_curve, used to draw noisy per-iteration loss curves.
#pragma once
#include <vector>

namespace dlfs {

// Exactly the book's
//   s = np.r_[x[10:0:-1], x, x[-1:-11:-1]]; w = np.kaiser(11, 2)
//   y = np.convolve(w/w.sum(), s, mode='valid'); return y[5:len(y)-5]
// i.e. a Kaiser-window moving average over 11 points with mirrored ends; the output has as many
// points as the input for 11 or more points. Like the book's code it returns fewer points (or none)
// for shorter inputs; an empty input gives an empty output.
std::vector<double> smooth_curve(const std::vector<double>& x);

// np.kaiser(m, beta)
std::vector<double> kaiser_window(int m, double beta);

}  // namespace dlfs
