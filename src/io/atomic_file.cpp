#include "dlfs/io/atomic_file.hpp"

#include <fcntl.h>
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

[[noreturn]] void fail(const std::string& what, const std::string& path, int err) {
  throw std::runtime_error(what + " " + path + ": " + errno_text(err));
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

void fsync_fd(int fd, const std::string& path) {
  if (::fsync(fd) != 0) fail("write_file_atomic: fsync failed for", path, errno);
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

void write_file_atomic(const std::string& path, const std::function<void(const std::string&)>& writer) {
  const std::filesystem::path dest(path);
  check_destination(dest);
  std::string tmp;
  ::close(create_temp(dest, tmp));
  try {
    writer(tmp);
    fsync_existing(tmp, O_RDONLY);
    commit(tmp, dest);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
  const std::filesystem::path dest(path);
  check_destination(dest);
  std::string tmp;
  int fd = create_temp(dest, tmp);
  try {
    const char* p = bytes.data();
    std::size_t left = bytes.size();
    while (left > 0) {
      ssize_t n = ::write(fd, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        fail("write_file_atomic: write failed for", tmp + " (destination " + path + ")", errno);
      }
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    fsync_fd(fd, tmp);
    int rc = ::close(fd);
    fd = -1;
    if (rc != 0) fail("write_file_atomic: close failed for", tmp, errno);
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
