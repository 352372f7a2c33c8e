// dlfs: the command-line tool. Each subcommand lives in its own file and registers itself through
// commands.hpp; main only parses and turns every error into one clear line and a non-zero exit.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <iostream>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"dlfs: the networks of Deep Learning from Scratch, in C++"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "dlfs 0.1.0");
  for (auto& reg : dlfs::cli::registry()) reg(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return dlfs::cli::run_selected(app);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::cerr << "dlfs: error: " << e.what() << "\n";
    return 1;
  }
}
