// Helpers for the model-file, checkpoint and hostile-input tests: a scratch folder, whole-file
// I/O, and running the real dlfs binary (fork + exec, no shell, so paths need no quoting) with
// its stdout, stderr, exit status and terminating signal.
#pragma once
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "dlfs/data/idx.hpp"

namespace dlfs_robust {

class TempDir {
 public:
  explicit TempDir(const std::string& tag = "robust") {
    std::string tmpl = (std::filesystem::temp_directory_path() / ("dlfs-" + tag + "-XXXXXX")).string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void spit(const std::string& path, const std::string& bytes) {
  ::unlink(path.c_str());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

struct CliRun {
  int exit_code = -1;  // -1 when the process died of a signal
  int signal = 0;      // the terminating signal, 0 when it exited
  std::string out, err;
  long max_rss_kb = 0;  // the child's peak resident memory (wait4's ru_maxrss, in KiB)
};

// Runs `program args...` in `workdir`, stdin from /dev/null.
inline CliRun run_program(const std::string& program, const std::vector<std::string>& args, const std::string& workdir) {
  const std::string out_path = workdir + "/.stdout", err_path = workdir + "/.stderr";
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0 || ::chdir(workdir.c_str()) != 0) ::_exit(127);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  struct rusage ru {};
  while (::wait4(pid, &status, 0, &ru) < 0) {
  }
  CliRun r;
  r.max_rss_kb = ru.ru_maxrss;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  return r;
}

// The last non-empty line of a program's output (where --json and the scripts put their answer).
inline std::string last_line(const std::string& s) {
  auto end = s.find_last_not_of('\n');
  if (end == std::string::npos) return "";
  auto start = s.rfind('\n', end);
  start = start == std::string::npos ? 0 : start + 1;
  return s.substr(start, end - start + 1);
}

inline CliRun run_dlfs(const std::vector<std::string>& args, const std::string& workdir) {
  return run_program(DLFS_CLI, args, workdir);
}

inline std::string mnist_root() { return DLFS_TEST_DATA_DIR; }
inline bool have_mnist() { return std::filesystem::exists(mnist_root() + "/mnist/train-images-idx3-ubyte"); }

inline constexpr const char* kSystemPython = "/usr/bin/python3";
// Whether /usr/bin/python3 exists and imports numpy.
inline bool python_has_numpy() {
  if (::access(kSystemPython, X_OK) != 0) return false;
  return std::system((std::string(kSystemPython) + " -c 'import numpy' >/dev/null 2>&1").c_str()) == 0;
}

// A small IDX data set: 20 train and 10 test images of 28x28, labels i % 10. The bytes are a
// pattern, not digits: the tests using it are about file handling, not learning. salt changes the
// training images only, so two folders can differ in content but not in size.
inline void write_tiny_idx(const std::string& dir, std::size_t salt = 1) {
  std::filesystem::create_directories(dir);
  auto images = [](std::size_t n, std::size_t s) {
    dlfs::Tensor<std::uint8_t> t({n, 28, 28});
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = static_cast<std::uint8_t>((i * 7 + s) % 251);
    return t;
  };
  auto labels = [](std::size_t n) {
    std::vector<std::uint8_t> l(n);
    for (std::size_t i = 0; i < n; ++i) l[i] = static_cast<std::uint8_t>(i % 10);
    return l;
  };
  dlfs::write_idx_images(dir + "/train-images-idx3-ubyte", images(20, salt));
  dlfs::write_idx_labels(dir + "/train-labels-idx1-ubyte", labels(20));
  dlfs::write_idx_images(dir + "/t10k-images-idx3-ubyte", images(10, 2));
  dlfs::write_idx_labels(dir + "/t10k-labels-idx1-ubyte", labels(10));
}

}  // namespace dlfs_robust
