#include "commands.hpp"

#include <map>
#include <stdexcept>

namespace dlfs::cli {

std::vector<Setup>& registry() {
  static std::vector<Setup> r;
  return r;
}

namespace {
std::map<CLI::App*, Action>& actions() {
  static std::map<CLI::App*, Action> a;
  return a;
}
}  // namespace

void set_action(CLI::App* sub, Action a) { actions()[sub] = std::move(a); }

int run_selected(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands()) {
    auto it = actions().find(sub);
    if (it != actions().end()) return it->second();
  }
  throw std::runtime_error("no subcommand selected");
}

}  // namespace dlfs::cli
