#include "dlfs/train/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace dlfs {

Progress::Progress(std::size_t total, std::string label, bool enabled)
    : total_(total), label_(std::move(label)), enabled_(enabled), tty_(enabled && isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

void Progress::update(std::size_t done, double loss) {
  if (!tty_) return;
  auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double frac = total_ ? double(done) / double(total_) : 1.0;
  double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0;
  const int width = 30;
  int filled = static_cast<int>(frac * width);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.resize(width, '-');
  std::fprintf(stderr, "\r%s [%s] %zu/%zu loss %.4f  %.0fs elapsed, ETA %.0fs  ", label_.c_str(), bar.c_str(), done,
               total_, loss, elapsed, eta);
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::line(const std::string& text) {
  if (!enabled_) return;
  // The bar lives on stderr, the lines on stdout (so `--json`'s last stdout line stays parseable
  // and the lines survive a redirect).
  if (tty_ && drawn_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }
  std::fprintf(stdout, "%s\n", text.c_str());
  std::fflush(stdout);
  drawn_ = false;
  last_draw_ = {};
}

void Progress::finish() {
  if (tty_ && drawn_) std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace dlfs
