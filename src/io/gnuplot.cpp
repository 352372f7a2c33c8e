#include "gnuplot.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "dlfs/io/atomic_file.hpp"
#include "dlfs/io/plot.hpp"

extern char** environ;

namespace dlfs {
namespace gnuplot_detail {
namespace {

constexpr const char* kInstallHint = "install gnuplot (scripts/install_deps.sh)";

std::string gnuplot_program() {
  const char* env = std::getenv("DLFS_GNUPLOT");  // lets tests (and unusual installs) pick the binary
  return env && *env ? env : "gnuplot";
}

class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dlfs-gnuplot-XXXXXX").string();
    if (!::mkdtemp(tmpl.data()))
      throw std::runtime_error("plot: cannot create a temporary folder " + tmpl + ": " + std::strerror(errno));
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string file(const char* name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs `program args...` with stdin from /dev/null and stdout+stderr into log_path.
// Returns the exit status, or -1 with errno_out set if the program could not be started.
int run(const std::vector<std::string>& argv, const std::string& log_path, int& errno_out) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    errno_out = rc;
    return -1;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      errno_out = errno;
      return -1;
    }
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

std::string tail_of_log(const std::string& log_path) {
  std::string log;
  try {
    log = read_file_bytes(log_path, 1 << 20);
  } catch (const std::exception&) {
    return "(no output)";
  }
  while (!log.empty() && (log.back() == '\n' || log.back() == ' ')) log.pop_back();
  if (log.size() > 1500) log = "..." + log.substr(log.size() - 1500);
  return log.empty() ? "(no output)" : log;
}

// Why gnuplot failed: a full disk under its temporary folder (its own log is then often lost
// too), else the end of its log.
std::string failure_detail(const std::filesystem::path& folder, const std::string& log_path) {
  struct statvfs vfs {};
  if (::statvfs(folder.c_str(), &vfs) == 0 && static_cast<double>(vfs.f_bavail) * vfs.f_frsize < (1 << 20))
    return "no space left on device in " + folder.parent_path().string() + " (gnuplot's temporary folder)";
  return tail_of_log(log_path);
}

// A PNG is complete when it starts with the signature and ends with the IEND chunk (always the
// same 12 bytes). A cut-off one most likely met a full disk: say so when the folder is (nearly) full.
void check_complete_png(const std::string& png, const std::string& png_path, const std::filesystem::path& folder,
                        const std::string& log_path) {
  static const std::string signature("\x89PNG\r\n\x1a\n", 8), iend("\0\0\0\0IEND\xae\x42\x60\x82", 12);
  if (png.size() >= signature.size() + iend.size() && png.compare(0, signature.size(), signature) == 0 &&
      png.compare(png.size() - iend.size(), iend.size(), iend) == 0)
    return;
  throw std::runtime_error("plot " + png_path + ": gnuplot wrote an incomplete picture (" + std::to_string(png.size()) +
                           " bytes, no PNG end chunk): " + failure_detail(folder, log_path));
}

}  // namespace

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "''";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out + "'";
}

std::string num(double v) {
  if (!std::isfinite(v)) return "NaN";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string xy_block(const std::string& name, const std::vector<double>& x, const std::vector<double>& y) {
  std::string out = name + " << EOD\n";
  for (std::size_t i = 0; i < x.size(); ++i) out += num(x[i]) + " " + num(y[i]) + "\n";
  return out + "EOD\n";
}

void check_size(const std::string& where, int width, int height) {
  if (width < 16 || height < 16 || width > 20000 || height > 20000)
    throw std::invalid_argument(where + ": picture size " + std::to_string(width) + "x" + std::to_string(height) +
                                " is outside 16..20000 pixels");
}

void render_png(const std::string& png_path, int width, int height, const std::string& body) {
  check_size("plot " + png_path, width, height);
  resolve_output_target(png_path);  // refuse a FIFO or device before gnuplot runs
  // gnuplot draws into the private folder, never into the destination's folder: it does not
  // always notice a failed write (a full disk gave a truncated PNG and exit status 0), so the
  // picture is checked there and only a complete one is copied over the old file atomically.
  ScratchDir scratch;
  const std::string script_path = scratch.file("plot.gp"), log_path = scratch.file("gnuplot.log"),
                    picture = scratch.file("plot.png");
  const std::string size = std::to_string(width) + "," + std::to_string(height);
  // pngcairo draws anti-aliased lines and dashes; the libgd png terminal is the fallback.
  std::string script = "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
                       "  set terminal pngcairo size " + size + " noenhanced font 'sans,10'\n"
                       "} else {\n"
                       "  set terminal png size " + size + " noenhanced\n"
                       "}\n"
                       "set output " + quote(picture) + "\n" + body + "\nunset output\n";
  write_file_atomic(script_path, script);
  int err = 0;
  int rc = run({gnuplot_program(), script_path}, log_path, err);
  if (rc < 0) {
    if (err == ENOENT || err == EACCES)
      throw std::runtime_error("plot " + png_path + ": cannot run '" + gnuplot_program() + "' (" +
                               std::strerror(err) + "): " + kInstallHint);
    throw std::runtime_error("plot " + png_path + ": cannot run gnuplot: " + std::strerror(err));
  }
  if (rc != 0)
    throw std::runtime_error("plot " + png_path + ": gnuplot failed with status " + std::to_string(rc) + ": " +
                             failure_detail(scratch.path(), log_path));
  std::string png;
  try {
    png = read_file_bytes(picture, std::size_t(1) << 30);
  } catch (const std::exception&) {
    throw std::runtime_error("plot " + png_path + ": gnuplot wrote no picture: " +
                             failure_detail(scratch.path(), log_path));
  }
  check_complete_png(png, png_path, scratch.path(), log_path);
  write_file_atomic(png_path, png);
}

}  // namespace gnuplot_detail

bool gnuplot_available() {
  gnuplot_detail::ScratchDir scratch;
  int err = 0;
  return gnuplot_detail::run({gnuplot_detail::gnuplot_program(), "--version"}, scratch.file("log"), err) == 0;
}

}  // namespace dlfs
