// Hyper-parameter checks shared by the optimiser constructors (private to src/optim).
#pragma once
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

namespace dlfs::detail {

inline std::string num_str(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

// lr must be a finite positive number.
inline void check_lr(const std::string& who, double lr) {
  if (!std::isfinite(lr) || lr <= 0)
    throw std::invalid_argument(who + ": lr must be finite and > 0, got " + num_str(lr));
}

// momentum, decay_rate, beta1, beta2 live in [0, 1) (NaN is rejected too).
inline void check_unit(const std::string& who, const std::string& what, double v) {
  if (!(v >= 0 && v < 1)) throw std::invalid_argument(who + ": " + what + " must be in [0, 1), got " + num_str(v));
}

}  // namespace dlfs::detail
