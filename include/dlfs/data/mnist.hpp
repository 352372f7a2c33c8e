// Finding and loading MNIST-style folders (MNIST, Fashion-MNIST): four IDX files, either name
// style (train-images-idx3-ubyte or train-images.idx3-ubyte), raw or .gz.
#pragma once
#include <string>

#include "dlfs/data/dataset.hpp"
#include "dlfs/tensor.hpp"

namespace dlfs {

// Where Fashion-MNIST lives when <data_dir>/fashion-mnist does not exist.
inline constexpr const char* kSystemFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// The path of one of the four files ("train-images", "train-labels", "t10k-images", "t10k-labels")
// in dir, trying every name style; "" when absent.
std::string find_mnist_file(const std::string& dir, const std::string& stem);

// Loads the four files of dir and checks them (when several name styles of one file are present,
// e.g. a raw file and a .gz, they must hold the same data once inflated, or the folder is refused): image and label counts agree, labels < 10 (the
// error names the index and value), train and test images have the same rows/cols. Throws
// std::runtime_error saying what to do when files are missing. description is filled from
// dir/SOURCE when the data step wrote one, otherwise from the counts. test_only: only the two t10k
// files are looked for and read (train stays empty), for commands that never train.
DataSplit load_mnist_dir(const std::string& dir, bool test_only = false);

// name: "mnist" -> <data_dir>/mnist; "fashion" (or "fashion-mnist") -> <data_dir>/fashion-mnist if
// present, else /usr/share/datasets/fashion-mnist.
DataSplit load_dataset(const std::string& name, const std::string& data_dir = "data", bool test_only = false);

// The book's load_mnist(normalize, flatten, one_hot_label) on an MNIST folder:
// x_train (N, 784) or (N, 1, 28, 28), values in [0, 1] when normalize else 0..255;
// t_train (N) class indices, or (N, 10) when one_hot_label.
template <class T>
struct MnistArrays {
  Tensor<T> x_train, t_train, x_test, t_test;
};
template <class T>
MnistArrays<T> load_mnist(const std::string& dir = "data/mnist", bool normalize = true, bool flatten = true,
                          bool one_hot_label = false);

// The same conversion for an already loaded split.
template <class T>
MnistArrays<T> to_arrays(const DataSplit& s, bool normalize = true, bool flatten = true, bool one_hot_label = false);

}  // namespace dlfs
