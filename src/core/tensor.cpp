#include "dlfs/tensor.hpp"

#include <limits>

namespace dlfs {

std::string shape_str(const Shape& s) {
  std::string out = "(";
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(s[i]);
  }
  if (s.size() == 1) out += ",";
  return out + ")";
}

std::size_t shape_numel(const Shape& s) {
  std::size_t n = 1;
  for (std::size_t d : s) {
    if (d != 0 && n > std::numeric_limits<std::size_t>::max() / d)
      throw ShapeError("shape " + shape_str(s) + " has more elements than fit in memory");
    n *= d;
  }
  return n;
}

void expect_shape(const Shape& got, const Shape& expected, const std::string& where) {
  if (got != expected)
    throw ShapeError(where + ": expected " + shape_str(expected) + ", got " + shape_str(got));
}

void expect_rank(const Shape& got, std::size_t rank, const std::string& where) {
  if (got.size() != rank)
    throw ShapeError(where + ": expected a " + std::to_string(rank) + "-D tensor, got shape " + shape_str(got));
}

}  // namespace dlfs
