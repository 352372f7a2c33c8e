#include "dlfs/io/smooth_curve.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dlfs {
namespace {

// Python's x[start:stop:step] for the non-negative/negative indices used below.
std::vector<double> py_slice(const std::vector<double>& x, long start, long stop, long step) {
  const long n = static_cast<long>(x.size());
  auto clamp_index = [&](long i) {
    if (i < 0) i += n;
    if (step > 0) return std::clamp(i, 0L, n);
    return std::clamp(i, -1L, n - 1);  // with a negative step, -1 means "before the first element"
  };
  long s = clamp_index(start), e = clamp_index(stop);
  std::vector<double> out;
  if (step > 0)
    for (long i = s; i < e; i += step) out.push_back(x[static_cast<std::size_t>(i)]);
  else
    for (long i = s; i > e; i += step) out.push_back(x[static_cast<std::size_t>(i)]);
  return out;
}

}  // namespace

std::vector<double> kaiser_window(int m, double beta) {
  if (m < 1) return {};
  if (m == 1) return {1.0};
  std::vector<double> w(static_cast<std::size_t>(m));
  const double alpha = (m - 1) / 2.0;
  for (int k = 0; k < m; ++k) {
    double r = (k - alpha) / alpha;
    w[static_cast<std::size_t>(k)] = std::cyl_bessel_i(0.0, beta * std::sqrt(std::max(0.0, 1 - r * r))) /
                                     std::cyl_bessel_i(0.0, beta);
  }
  return w;
}

std::vector<double> smooth_curve(const std::vector<double>& x) {
  if (x.empty()) return {};
  constexpr int window_len = 11;
  std::vector<double> s = py_slice(x, window_len - 1, 0, -1);
  s.insert(s.end(), x.begin(), x.end());
  std::vector<double> tail = py_slice(x, -1, -window_len, -1);
  s.insert(s.end(), tail.begin(), tail.end());

  std::vector<double> w = kaiser_window(window_len, 2);
  double sum = 0;
  for (double v : w) sum += v;
  for (double& v : w) v /= sum;

  // np.convolve(a, v, 'valid') swaps its arguments so the shorter one slides over the longer.
  const std::vector<double>& lng = s.size() >= w.size() ? s : w;
  const std::vector<double>& sht = s.size() >= w.size() ? w : s;
  const std::size_t m = sht.size();
  std::vector<double> y(lng.size() - m + 1);
  for (std::size_t k = 0; k < y.size(); ++k) {
    double acc = 0;
    for (std::size_t j = 0; j < m; ++j) acc += sht[j] * lng[k + m - 1 - j];
    y[k] = acc;
  }
  return py_slice(y, 5, static_cast<long>(y.size()) - 5, 1);
}

}  // namespace dlfs
