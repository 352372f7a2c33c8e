#include "outputs.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "dlfs/io/atomic_file.hpp"

namespace dlfs::cli {
namespace fs = std::filesystem;
namespace {

fs::path folder_of(const fs::path& file) { return file.parent_path().empty() ? fs::path(".") : file.parent_path(); }

// Creates `dir` if missing and checks that files can be created in it.
void ensure_folder(const std::string& flag, const std::string& given, const fs::path& dir) {
  const std::string who = flag + " " + given + ": ";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    // Name the part of the path that is in the way, which is what the user has to fix.
    for (fs::path p = dir; !p.empty() && p != p.parent_path(); p = p.parent_path()) {
      struct stat st {};
      if (::stat(p.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) throw std::runtime_error(who + p.string() + " is a file, not a folder");
        break;
      }
    }
    throw std::runtime_error(who + "cannot create the folder " + dir.string() + ": " + ec.message());
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw std::runtime_error(who + dir.string() + " is not a folder");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw std::runtime_error(who + "cannot write in the folder " + dir.string() + ": " + std::strerror(errno));
}

// The file write_file_atomic will replace for `path`; returns its folder.
fs::path check_file(const std::string& flag, const std::string& path) {
  ensure_folder(flag, path, folder_of(path));
  std::string target;
  try {
    target = resolve_output_target(path);
  } catch (const std::exception& e) {
    throw std::runtime_error(flag + ": " + e.what());
  }
  const fs::path folder = folder_of(target);
  if (target != path) ensure_folder(flag, path, folder);  // a link into another folder
  return folder;
}

}  // namespace

OutputLock::OutputLock(const std::string& folder) {
  const std::string lock = (fs::path(folder) / ".dlfs.lock").string();
  fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  struct stat st {};
  if (fd_ < 0 || ::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    const std::string why = fd_ < 0 ? std::strerror(errno) : "not a regular file";
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("--out " + folder + ": cannot open the lock file " + lock + ": " + why);
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      throw std::runtime_error("--out " + folder + ": another dlfs train is using this folder (it holds " + lock +
                               "); wait until it ends or give another --out");
    throw std::runtime_error("--out " + folder + ": cannot lock " + lock + ": " + std::strerror(err));
  }
}

OutputLock::~OutputLock() {
  if (fd_ >= 0) ::close(fd_);
}

OutputLock prepare_train_outputs(const std::string& out, const std::string& save, const std::string& checkpoint) {
  ensure_folder("--out", out, out);
  std::set<std::string> folders{fs::path(out).lexically_normal().string()};
  for (const char* name : {"history.csv", "accuracy.png", "loss.png", "misclassified.png", "filters.png"})
    folders.insert(check_file("--out", (fs::path(out) / name).string()).lexically_normal().string());
  if (!save.empty()) folders.insert(check_file("--save", save).lexically_normal().string());
  if (!checkpoint.empty()) folders.insert(check_file("--checkpoint", checkpoint).lexically_normal().string());
  OutputLock lock(out);
  for (const std::string& folder : folders) remove_stale_temp_files(folder);
  return lock;
}

}  // namespace dlfs::cli
