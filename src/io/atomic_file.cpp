#include "dlfs/io/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>

namespace dlfs {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

// A full disk is the likely failure of a long run's last write, so it gets the plain words and
// names the file the user asked for, not the hidden temporary one.
[[noreturn]] void fail(const std::string& what, const std::string& path, int err) {
  throw std::runtime_error(what + " " + path + ": " + errno_text(err));
}

[[noreturn]] void fail_write(const std::filesystem::path& dest, int err) {
  if (err == ENOSPC || err == EDQUOT)
    throw std::runtime_error("cannot write " + dest.string() +
                             ": no space left on device (the file is left as it was)");
  fail("write_file_atomic: write failed for", dest.string(), err);
}

const char* kind_of(mode_t m) {
  if (S_ISDIR(m)) return "a folder";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

// Copies the replaced file's permission bits (and owner, where allowed) to the temporary file,
// so that replacing a mode-600 model does not make it readable by everyone.
void keep_mode(const std::string& tmp, const std::filesystem::path& dest) {
  struct stat old {};
  if (::stat(dest.c_str(), &old) != 0 || !S_ISREG(old.st_mode)) return;
  if (::chown(tmp.c_str(), old.st_uid, old.st_gid) != 0) {
    // Not permitted for another user's file: the new file is ours, with the old mode.
  }
  if (::chmod(tmp.c_str(), old.st_mode & 07777) != 0) fail("write_file_atomic: cannot set the mode of", tmp, errno);
}

// A name no other writer (thread or process) picks at the same time; O_EXCL makes sure of it.
std::string temp_name_for(const std::filesystem::path& dest) {
  static std::atomic<unsigned long long> counter{0};
  static const unsigned long long salt = std::random_device{}();
  char suffix[64];
  std::snprintf(suffix, sizeof suffix, ".tmp.%ld.%llx", static_cast<long>(::getpid()),
                (salt ^ (counter.fetch_add(1) * 0x9E3779B97F4A7C15ull)) & 0xffffffffffull);
  std::string name = ".";
  name += dest.filename().string();
  name += suffix;
  return (dest.parent_path() / name).string();
}

std::filesystem::path folder_of(const std::filesystem::path& p) {
  return p.parent_path().empty() ? std::filesystem::path(".") : p.parent_path();
}

// Creates the temporary file exclusively and returns its descriptor.
int create_temp(const std::filesystem::path& dest, std::string& tmp) {
  for (int attempt = 0;; ++attempt) {
    tmp = temp_name_for(dest);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return fd;
    if (errno != EEXIST || attempt == 16)
      fail("write_file_atomic: cannot create temporary file for", dest.string(), errno);
  }
}

void fsync_existing(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) fail("write_file_atomic: cannot open", path, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  // Some file systems refuse fsync on folders (EINVAL); there is nothing more we can do there.
  if (rc != 0 && !((flags & O_DIRECTORY) && (err == EINVAL || err == ENOTSUP)))
    fail("write_file_atomic: fsync failed for", path, err);
}

void commit(const std::string& tmp, const std::filesystem::path& dest) {
  if (::rename(tmp.c_str(), dest.c_str()) != 0)
    throw std::runtime_error("write_file_atomic: cannot rename " + tmp + " to " + dest.string() + ": " +
                             errno_text(errno));
  fsync_existing(folder_of(dest).string(), O_RDONLY | O_DIRECTORY);
}

void check_destination(const std::filesystem::path& dest) {
  if (dest.filename().empty() || dest.filename() == "." || dest.filename() == "..")
    throw std::invalid_argument("write_file_atomic: '" + dest.string() + "' does not name a file");
}

}  // namespace

std::string resolve_output_target(const std::string& path) {
  std::filesystem::path p(path);
  check_destination(p);
  for (int hops = 0;; ++hops) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) {
      if (errno == ENOENT) return p.string();  // a new file (possibly the target of a dangling link)
      fail("cannot check", p.string(), errno);
    }
    if (S_ISREG(st.st_mode)) return p.string();
    if (!S_ISLNK(st.st_mode)) {
      std::string where = p.string() == path ? path : path + " (a link to " + p.string() + ")";
      throw std::runtime_error(where + " is " + kind_of(st.st_mode) +
                               ", not a regular file; dlfs replaces only regular files, so give a file path");
    }
    if (hops == 40) throw std::runtime_error(path + ": too many levels of symbolic links");
    std::error_code ec;
    std::filesystem::path target = std::filesystem::read_symlink(p, ec);
    if (ec) fail("cannot read the link", p.string(), ec.value());
    p = target.is_absolute() ? target : p.parent_path() / target;
    check_destination(p);
  }
}

std::size_t remove_stale_temp_files(const std::string& folder) {
  std::error_code ec;
  std::filesystem::directory_iterator it(folder.empty() ? "." : folder, ec), end;
  std::size_t removed = 0;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // ".<name>.tmp.<pid>.<hex>", exactly as temp_name_for makes them
    const std::size_t at = name.rfind(".tmp.");
    if (name.size() < 2 || name[0] != '.' || at == std::string::npos || at < 2) continue;
    const std::size_t dot = name.find('.', at + 5);
    if (dot == std::string::npos || dot == at + 5 || dot + 1 == name.size()) continue;
    const std::string pid_text = name.substr(at + 5, dot - at - 5), hex = name.substr(dot + 1);
    if (pid_text.size() > 9 || pid_text.find_first_not_of("0123456789") != std::string::npos ||
        hex.size() > 16 || hex.find_first_not_of("0123456789abcdef") != std::string::npos)
      continue;
    const long pid = std::stol(pid_text);
    if (pid <= 0 || pid == static_cast<long>(::getpid())) continue;
    // Only when no process has that id: a live one (even an unrelated one that reused the id)
    // keeps its file, and a process we may not signal (EPERM) is alive too.
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (::unlink(it->path().c_str()) == 0) ++removed;
  }
  return removed;
}

void write_file_atomic(const std::string& path, const std::function<void(const std::string&)>& writer) {
  const std::filesystem::path dest(resolve_output_target(path));
  std::string tmp;
  ::close(create_temp(dest, tmp));
  try {
    writer(tmp);
    keep_mode(tmp, dest);
    fsync_existing(tmp, O_RDONLY);
    commit(tmp, dest);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
  const std::filesystem::path dest(resolve_output_target(path));
  std::string tmp;
  int fd = create_temp(dest, tmp);
  try {
    keep_mode(tmp, dest);
    const char* p = bytes.data();
    std::size_t left = bytes.size();
    while (left > 0) {
      ssize_t n = ::write(fd, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        fail_write(dest, errno);
      }
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) fail_write(dest, errno);  // delayed allocation reports a full disk here
    int rc = ::close(fd);
    fd = -1;
    if (rc != 0) fail_write(dest, errno);
    commit(tmp, dest);
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
}

std::string read_file_bytes(const std::string& path, std::size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot open", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    fail("cannot stat", path, err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw std::runtime_error(path + ": not a regular file");
  }
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    throw std::runtime_error(path + ": file has " + std::to_string(st.st_size) + " bytes, more than the limit of " +
                             std::to_string(max_bytes));
  }
  std::string out(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      fail("read failed for", path, err);
    }
    if (n == 0) break;  // shrank while reading
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out.resize(got);
  return out;
}

}  // namespace dlfs
