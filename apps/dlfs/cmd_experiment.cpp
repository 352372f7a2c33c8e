// dlfs experiment NAME: the book's experiments (ch06/*.py and later), each writing its
// figures and CSV files to --out and printing a short table. The experiments live in the library
// (dlfs/train/experiments.hpp); this file only parses flags and prints.
#include <cstdio>
#include <iostream>
#include <optional>

#include "commands.hpp"
#include "common.hpp"
#include "dlfs/linalg.hpp"
#include "dlfs/train/experiments.hpp"

namespace dlfs::cli {
namespace {

struct ExperimentFlags {
  std::string name;
  bool list = false;
  bool quick = false;
  std::string out;  // default out/experiments/NAME
  unsigned long long seed = 0;
  std::string variant;
  int threads = 0;
  DataFlags data;
};

void print_list() {
  std::printf("experiments (dlfs experiment NAME [--quick] [--out DIR] [--seed N]):\n");
  std::size_t w = 0;
  for (const auto& e : experiment_list()) w = std::max(w, e.name.size());
  for (const auto& e : experiment_list())
    std::printf("  %-*s  %s\n  %-*s  (%s)\n", int(w), e.name.c_str(), e.description.c_str(), int(w), "",
                e.book_script.c_str());
  std::printf("  %-*s  every experiment above, each into OUT/NAME\n", int(w), "all");
}

bool known(const std::string& name) {
  for (const auto& e : experiment_list())
    if (e.name == name) return true;
  return false;
}

int run_one(const ExperimentInfo& info, const ExperimentFlags& f, const std::string& out,
            std::optional<DataSplit>& data) {
  if (info.needs_data && !data) data = load_data(f.data);
  ExperimentOptions o;
  o.quick = f.quick;
  o.out_dir = out;
  o.seed = f.seed;
  o.variant = f.variant;
  o.verbose = true;
  std::printf("== %s%s: %s\n   book: %s\n", info.name.c_str(), f.quick ? " (quick)" : "", info.description.c_str(),
              info.book_script.c_str());
  if (info.needs_data) std::printf("   data: %s\n", data->description.c_str());
  std::fflush(stdout);
  ExperimentOutput r = run_experiment(info.name, info.needs_data ? &*data : nullptr, o);
  std::printf("\n%s", r.table.c_str());
  if (!r.notes.empty()) std::printf("notes: %s\n", r.notes.c_str());
  std::printf("wrote:");
  for (const auto& file : r.files) std::printf(" %s", file.c_str());
  std::printf("\n(%.1f s)\n\n", r.seconds);
  std::fflush(stdout);
  return 0;
}

int run(ExperimentFlags& f) {
  if (f.list || f.name == "list") {
    print_list();
    return 0;
  }
  if (f.name.empty()) throw std::invalid_argument("experiment: expected a NAME (see dlfs experiment --list)");
  if (f.name != "all" && !known(f.name)) {
    std::string names;
    for (const auto& e : experiment_list()) names += (names.empty() ? "" : ", ") + e.name;
    throw std::invalid_argument("experiment: unknown name '" + f.name + "'; expected one of: " + names + ", all, list");
  }
  if (!f.variant.empty() && f.name != "batchnorm" && f.name != "all")
    throw std::invalid_argument("--variant: only batchnorm has variants (book, keras), got it for " + f.name);
  if (f.threads < 0 || f.threads > 1024)
    throw std::invalid_argument("--threads: expected 0 (all cores) to 1024, got " + std::to_string(f.threads));
  set_num_threads(f.threads);

  std::optional<DataSplit> data;
  if (f.name != "all") {
    for (const auto& e : experiment_list())
      if (e.name == f.name) return run_one(e, f, f.out.empty() ? "out/experiments/" + f.name : f.out, data);
  }
  const std::string root = f.out.empty() ? "out/experiments" : f.out;
  for (const auto& e : experiment_list()) run_one(e, f, root + "/" + e.name, data);
  return 0;
}

Register reg([](CLI::App& app) {
  static ExperimentFlags f;
  CLI::App* sub = app.add_subcommand("experiment", "run one of the book's experiments (chapter 6 and on): figures, CSV, a table");
  sub->add_option("name", f.name, "experiment name, 'list' or 'all'");
  sub->add_flag("--list", f.list, "list the experiments");
  sub->add_flag("--quick", f.quick, "a reduced version that runs in seconds");
  sub->add_option("--out", f.out, "folder for the PNG and CSV files (default out/experiments/NAME)")
      ->check(non_empty_path());
  sub->add_option("--seed", f.seed, "random seed (same seed, same numbers)")->transform(whole_number(0, kAnySeed))->capture_default_str();
  sub->add_option("--variant", f.variant, "batchnorm only: book (16 weight scales) or keras; default both")
      ->check(CLI::IsMember({"book", "keras"}));
  sub->add_option("--threads", f.threads, "threads, 0 = all cores")->transform(whole_number(0, 1024))->capture_default_str();
  add_data_flags(sub, f.data);
  set_action(sub, [] { return run(f); });
});

}  // namespace
}  // namespace dlfs::cli
