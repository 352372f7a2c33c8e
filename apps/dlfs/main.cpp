// dlfs: the command-line tool. Each subcommand lives in its own file and registers itself through
// commands.hpp; main only parses and turns every error into one clear line and a non-zero exit.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include "commands.hpp"
#include "dlfs/linalg.hpp"

namespace {

// OpenBLAS reads OPENBLAS_CORETYPE only while it loads, before main: when it fell back to slow
// kernels on a CPU it does not know (see blas_core_override), set the variable and start this
// same program again, once (the variable is then set, so the new process never loops). If exec
// fails the run goes on with the slow kernels: same results, only slower.
// DLFS_BLAS_RESTART=0 turns this off (valgrind, for one, would not follow the restart).
void restart_with_fitting_blas(char** argv) {
  const char* off = std::getenv("DLFS_BLAS_RESTART");
  if (off && std::string(off) == "0") return;
  const char* core = dlfs::blas_core_override();
  if (!core) return;
  // Tells the restarted process (--version) what OpenBLAS had picked.
  if (setenv("DLFS_BLAS_FALLBACK", dlfs::blas_core(), 1) != 0 || setenv("OPENBLAS_CORETYPE", core, 1) != 0) return;
  std::fflush(nullptr);
  execv("/proc/self/exe", argv);
  unsetenv("OPENBLAS_CORETYPE");  // exec failed: leave the environment as it was
  unsetenv("DLFS_BLAS_FALLBACK");
}

std::string version() {
  std::string v = "dlfs 0.1.0\nBLAS: OpenBLAS, " + std::string(dlfs::blas_core()) + " kernels";
  const char* fallback = std::getenv("DLFS_BLAS_FALLBACK");
  const char* forced = std::getenv("OPENBLAS_CORETYPE");
  if (fallback && forced)
    v += " (OpenBLAS picked " + std::string(fallback) + " for this CPU; dlfs restarted with OPENBLAS_CORETYPE=" +
         forced + ")";
  else if (forced)
    v += " (OPENBLAS_CORETYPE=" + std::string(forced) + " set by the user)";
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  restart_with_fitting_blas(argv);
  CLI::App app{"dlfs: the networks of Deep Learning from Scratch, in C++"};
  app.require_subcommand(1);
  app.set_version_flag("--version", version);
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
