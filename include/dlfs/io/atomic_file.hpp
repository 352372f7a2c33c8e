// Atomic file replacement: a file written through these functions is either the complete new
// content or the untouched old content, even if the process is killed midway or the writer
// throws. The data goes to a hidden temporary file in the same folder (".<name>.tmp.<pid>.<rand>",
// same file system so rename is atomic), which is flushed, fsync'ed and renamed over the
// destination; then the folder is fsync'ed so the rename itself survives a power cut.
//
// Targets: a symlink is written THROUGH (its final target is replaced atomically and the link is
// kept); an existing target that is not a regular file (device such as /dev/null, FIFO, socket,
// folder) is refused with std::runtime_error and left alone. The replaced file's permission bits
// (and owner, where the process may set it) carry over to the new file; a new file gets 0666 less
// the umask. A full disk is reported as "cannot write PATH: no space left on device".
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace dlfs {

// `writer` receives the path of the (already created, empty) temporary file and writes the whole
// content there by path, which suits libraries that open files themselves (gnuplot, libzip).
// If writer throws, the temporary file is removed and the exception propagates unchanged. System
// failures (create, fsync, rename) throw std::runtime_error naming the path and strerror.
void write_file_atomic(const std::string& path, const std::function<void(const std::string& tmp_path)>& writer);

// Writes `bytes` as the complete new content of `path`.
void write_file_atomic(const std::string& path, std::string_view bytes);

// The path write_file_atomic(path, ...) would replace: `path` itself, or the final target of the
// symlink(s) it names. Throws std::runtime_error ("PATH is a FIFO, not a regular file; ...")
// when that exists and is not a regular file, so callers can check outputs before long work.
std::string resolve_output_target(const std::string& path);

// Removes the temporary files ".<name>.tmp.<pid>.<hex>" in `folder` that a writer killed midway
// (SIGKILL, power cut) left behind: only names of exactly that pattern, only regular files, and
// only when no process with that pid exists (a live process keeps its file, even if it merely
// reused the pid). Returns how many were removed; an unreadable folder removes none.
std::size_t remove_stale_temp_files(const std::string& folder);

// Reads a whole file (throws std::runtime_error naming the path and strerror). Refuses files
// larger than max_bytes so a hostile or mistaken path cannot exhaust memory.
std::string read_file_bytes(const std::string& path, std::size_t max_bytes = std::size_t(1) << 31);

}  // namespace dlfs
