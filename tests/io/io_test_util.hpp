// Shared helpers for the io tests: a scratch folder, whole-file I/O and running the system
// Python (/usr/bin/python3, which has NumPy; the `python3` on PATH may not).
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace dlfs::test {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dlfs-io-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }
  // Names of everything in the folder, sorted (hidden temporary files included).
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (auto& e : std::filesystem::directory_iterator(path_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::filesystem::path path_;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void spit(const std::string& path, const std::string& bytes) {
  // Unlink first: on ext4, truncating a file that has data forces a flush on close (auto_da_alloc),
  // which makes the byte-flipping loops 100x slower.
  ::unlink(path.c_str());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

// The bytes of a .npy file: the header dict written exactly as given (so a test can hand the loader
// headers NumPy would never write), then `data`. Versions 2 and 3 have a 4-byte header length.
inline std::string npy_bytes(const std::string& dict, const std::string& data, char major = 1) {
  const std::string text = dict + "\n";
  std::string out = std::string("\x93NUMPY", 6) + major + '\0';
  out += static_cast<char>(text.size() & 0xff);
  out += static_cast<char>(text.size() >> 8 & 0xff);
  if (major != 1) out += std::string("\0\0", 2);
  return out + text + data;
}

inline constexpr const char* kSystemPython = "/usr/bin/python3";

// Runs a Python script with the system interpreter; returns its exit status and fills `output`
// with stdout+stderr.
inline int run_python(const TempDir& dir, const std::string& script, std::string* output = nullptr) {
  std::string script_path = dir.file("script.py"), out_path = dir.file("script.out");
  spit(script_path, script);
  std::string cmd = std::string(kSystemPython) + " '" + script_path + "' > '" + out_path + "' 2>&1";
  int status = std::system(cmd.c_str());
  if (output) *output = slurp(out_path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline bool python_has_numpy() {
  static const bool ok = [] {
    if (::access(kSystemPython, X_OK) != 0) return false;
    std::string cmd = std::string(kSystemPython) + " -c 'import numpy' > /dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
  }();
  return ok;
}

}  // namespace dlfs::test
