// Runs the real dlfs binary from a test, capturing stdout, stderr and the exit status.
#pragma once
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace dlfs_test {

struct CliResult {
  int status = -1;       // exit code; -1 when killed by a signal
  std::string out, err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// args is appended to the binary's path as is (quote paths yourself).
inline CliResult run_dlfs(const std::string& args, const std::string& workdir) {
  std::filesystem::create_directories(workdir);
  std::string out = workdir + "/stdout.txt", err = workdir + "/stderr.txt";
  std::string cmd = std::string(DLFS_CLI) + " " + args + " >'" + out + "' 2>'" + err + "' </dev/null";
  int rc = std::system(cmd.c_str());
  CliResult r;
  if (WIFEXITED(rc)) r.status = WEXITSTATUS(rc);
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

inline std::string last_line(const std::string& s) {
  auto end = s.find_last_not_of('\n');
  if (end == std::string::npos) return "";
  auto start = s.rfind('\n', end);
  return s.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}

inline bool have_mnist() { return std::filesystem::exists(std::string(DLFS_TEST_DATA_DIR) + "/mnist"); }

}  // namespace dlfs_test
