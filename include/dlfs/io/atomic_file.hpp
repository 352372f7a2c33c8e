// Atomic file replacement: a file written through these functions is either the complete new
// content or the untouched old content, even if the process is killed midway or the writer
// throws. The data goes to a hidden temporary file in the same folder (".<name>.tmp.<pid>.<rand>",
// same file system so rename is atomic), which is flushed, fsync'ed and renamed over the
// destination; then the folder is fsync'ed so the rename itself survives a power cut.
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

// Reads a whole file (throws std::runtime_error naming the path and strerror). Refuses files
// larger than max_bytes so a hostile or mistaken path cannot exhaust memory.
std::string read_file_bytes(const std::string& path, std::size_t max_bytes = std::size_t(1) << 31);

}  // namespace dlfs
