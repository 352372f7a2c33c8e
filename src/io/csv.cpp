#include "dlfs/io/csv.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "dlfs/io/atomic_file.hpp"

namespace dlfs {
namespace {

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

void write_csv(const std::string& path, const std::vector<std::string>& header,
               const std::vector<std::vector<double>>& columns) {
  if (header.size() != columns.size())
    throw std::invalid_argument("write_csv " + path + ": " + std::to_string(header.size()) + " header names for " +
                                std::to_string(columns.size()) + " columns");
  std::string out;
  for (std::size_t c = 0; c < header.size(); ++c) {
    if (c) out += ',';
    out += csv_cell(header[c]);
  }
  out += '\n';
  std::size_t rows = 0;
  for (const auto& col : columns) rows = std::max(rows, col.size());
  char buf[32];
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (c) out += ',';
      if (r < columns[c].size()) {
        std::snprintf(buf, sizeof buf, "%.9g", columns[c][r]);
        out += buf;
      }
    }
    out += '\n';
  }
  write_file_atomic(path, out);
}

}  // namespace dlfs
