// "47,040,000": sizes in data error messages and descriptions, readable at a glance.
#pragma once
#include <cstdint>
#include <string>

namespace dlfs::detail {

inline std::string with_commas(std::uint64_t v) {
  const std::string digits = std::to_string(v);
  std::string s;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) s += ',';
    s += digits[i];
  }
  return s;
}

}  // namespace dlfs::detail
