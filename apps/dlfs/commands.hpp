// Subcommand registry: each apps/dlfs/cmd_*.cpp adds itself with a static Register object, so a
// new subcommand is one new file.
#pragma once
#include <CLI/CLI.hpp>

#include <functional>
#include <vector>

namespace dlfs::cli {

using Setup = std::function<void(CLI::App&)>;
std::vector<Setup>& registry();
struct Register {
  explicit Register(Setup s) { registry().push_back(std::move(s)); }
};

// Each subcommand stores its action here at setup; main runs the one that was parsed.
using Action = std::function<int()>;
void set_action(CLI::App* sub, Action a);
int run_selected(CLI::App& app);

}  // namespace dlfs::cli
