// dlfs train's outputs, settled before any training: every path is checked (a bad one costs a
// second, not the run), missing folders are created, and the --out folder is locked for the run.
#pragma once
#include <string>

namespace dlfs::cli {

// An exclusive flock on OUT/.dlfs.lock, held while the object lives (the kernel drops it when the
// process ends, however it ends, so a killed run never leaves the folder locked). The lock file
// itself stays: removing it would let a third run lock a different file of the same name.
class OutputLock {
 public:
  explicit OutputLock(const std::string& folder);
  ~OutputLock();
  OutputLock(OutputLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;
  OutputLock& operator=(OutputLock&&) = delete;

 private:
  int fd_ = -1;
};

// Creates --out and the folders of --save and --checkpoint (empty = not written), refuses with one
// line naming the flag a path that cannot be written (a folder, device, FIFO or socket where a file
// should go; a path under a regular file; a read-only or inaccessible folder), locks --out, and
// removes the temporary files of dead dlfs processes from those folders.
OutputLock prepare_train_outputs(const std::string& out, const std::string& save, const std::string& checkpoint);

}  // namespace dlfs::cli
