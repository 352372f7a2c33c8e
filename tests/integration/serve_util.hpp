// A `dlfs serve` child process for the tests, on 127.0.0.1 and a port it picks itself, and the
// MNIST test digits as bytes.
#pragma once
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "integration/robust_util.hpp"

namespace dlfs_robust {

// A `dlfs serve` child process; its stdout is read up to the "listening on" line.
struct ServeProcess {
  pid_t pid = -1;
  int port = 0;
  std::string banner;

  ServeProcess(const std::string& model, const std::string& workdir) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      if (::chdir(workdir.c_str()) != 0) ::_exit(127);
      ::execl(DLFS_CLI, DLFS_CLI, "serve", "--model", model.c_str(), "--host", "127.0.0.1", "--port", "0",
              "--threads", "4", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    // Read until the banner names the port; a guard against a hang, not a timing assertion.
    const std::string key = "listening on http://127.0.0.1:";
    char buf[256];
    while (banner.find('\n', banner.find(key)) == std::string::npos || banner.find(key) == std::string::npos) {
      pollfd p{fds[0], POLLIN, 0};
      if (::poll(&p, 1, 120000) <= 0) break;
      ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0) break;
      banner.append(buf, std::size_t(n));
    }
    ::close(fds[0]);  // later lines (none are written) would get EPIPE, not block
    auto at = banner.find(key);
    if (at != std::string::npos) port = std::stoi(banner.substr(at + key.size()));
  }
  // SIGTERM, then the exit status (-1 when it died of a signal).
  int stop() {
    if (pid <= 0) return -1;
    ::kill(pid, SIGTERM);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
    }
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  ~ServeProcess() { stop(); }
};

// Test image i of MNIST as bytes (the IDX file: a 16-byte header, then 784 bytes per image).
inline std::vector<std::uint8_t> test_digit(std::size_t i) {
  std::string all = slurp(mnist_root() + "/mnist/t10k-images-idx3-ubyte");
  return std::vector<std::uint8_t>(all.begin() + 16 + i * 784, all.begin() + 16 + (i + 1) * 784);
}

}  // namespace dlfs_robust
