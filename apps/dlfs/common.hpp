// Pieces several subcommands share: data selection flags, net construction from flags, and
// flag validation that names the flag, what it accepts and what it got.
#pragma once
#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dlfs/data/dataset.hpp"

namespace dlfs::cli {

struct DataFlags {
  std::string dataset = "mnist";  // mnist | fashion
  std::string data_root = "data"; // holds mnist/ and optionally fashion-mnist/
  std::string dir;                // --data: a folder with the four IDX files (overrides the two above)
};
void add_data_flags(CLI::App* app, DataFlags& f);
DataSplit load_data(const DataFlags& f, bool test_only = false);  // test_only: train is not read

// Architecture flags shared by train and gradcheck.
struct NetFlags {
  std::string net = "two-layer";
  std::vector<long long> hidden;        // default per net: 50 (two-layer), 100x5 (multi-layer)
  std::string weight_init_std = "";     // number | he | relu | xavier | sigmoid; default per net
  std::string activation = "relu";
  bool batchnorm = false;
  double dropout = 0;                   // dropout_ration; 0 = off
  double weight_decay = 0;
  bool force = false;                   // past the size limits (kMaxDenseWeights, kMaxEstimatedBytes)
};
void add_net_flags(CLI::App* app, NetFlags& f);
// The config JSON make_net() takes, for images of the given shape and class count (0x0: shape
// unknown, its size checks skipped).
nlohmann::json net_config(const NetFlags& f, std::size_t rows, std::size_t cols, std::size_t classes);
// The net flags' checks that need no data (sizes, ratios, a known --net name), so a typo fails
// before a dataset is read, or is reported even when the data folder is missing.
void check_net_flags(const NetFlags& f);

// For commands that load a model file (predict): the architecture flags describe only files
// without a __config__. For a file with one, a --net naming another net is refused, and the other
// architecture flags are ignored with a note on stderr, so a flag never silently seems to take
// effect. (The same rule as dlfs evaluate's.)
void check_net_flags_against_model(const NetFlags& f, const std::string& model, const CLI::App& sub);

// Validators: throw std::invalid_argument("--lr: expected a finite number > 0, got nan").
void require_positive(const std::string& flag, double v);
void require_count(const std::string& flag, long long v, long long max);
void require_fraction(const std::string& flag, double v);  // [0, 1)

// CLI11 reads integers with strtoull/strtoll: "-1" wraps to 2^64-1 for an unsigned flag, values
// past the range saturate, and "010" is octal. These validators accept only a plain decimal whole
// number in [lo, hi] ("--seed: expected a whole number from 0 to 18446744073709551615, got -1"),
// and only a non-empty path ("--save ''" would otherwise mean "not given"). whole_number rewrites
// the text in plain decimal ("010" -> "10"), so give it with ->transform(), not ->check().
CLI::Validator whole_number(long long lo, unsigned long long hi);
inline constexpr unsigned long long kAnySeed = ~0ULL;
CLI::Validator non_empty_path();

}  // namespace dlfs::cli
