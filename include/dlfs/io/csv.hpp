// CSV output for training histories and experiment tables (one column per series).
#pragma once
#include <string>
#include <vector>

namespace dlfs {

// Writes `columns` side by side under `header`, atomically. Columns may differ in length: a
// shorter column leaves empty cells (e.g. per-iteration loss next to per-epoch accuracy).
// Numbers are written with %.9g (enough to read every float back exactly); NaN/inf as nan/inf.
// Header cells with a comma, quote or newline are quoted as RFC 4180 says.
// Throws std::invalid_argument if header and columns differ in count.
void write_csv(const std::string& path, const std::vector<std::string>& header,
               const std::vector<std::vector<double>>& columns);

}  // namespace dlfs
