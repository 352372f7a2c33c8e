// Progress for long work: at a terminal, one redrawn bar with the loss and an ETA; otherwise
// (logs, CI) nothing per iteration, so the per-epoch lines stay readable.
#pragma once
#include <chrono>
#include <cstddef>
#include <string>

namespace dlfs {

class Progress {
 public:
  Progress(std::size_t total, std::string label, bool enabled);
  // Redraws at most ~10 times a second.
  void update(std::size_t done, double loss);
  // Prints a whole line to stdout (clearing the bar first at a terminal).
  void line(const std::string& text);
  void finish();
  bool tty() const { return tty_; }

 private:
  std::size_t total_;
  std::string label_;
  bool enabled_, tty_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool drawn_ = false;
};

}  // namespace dlfs
