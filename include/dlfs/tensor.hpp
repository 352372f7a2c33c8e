// Tensor<T>: an N-dimensional, row-major, contiguous array. float for training, double for
// gradient checks (float32 would hide real backprop errors behind rounding).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace dlfs {

using Shape = std::vector<std::size_t>;

// "(100, 784)"
std::string shape_str(const Shape& s);

// Product of the dimensions; throws ShapeError instead of overflowing (hostile file headers).
std::size_t shape_numel(const Shape& s);

// Every shape mismatch in dlfs throws this, naming both shapes.
class ShapeError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Throws ShapeError("where: expected (a, b), got (c, d)") unless got == expected.
void expect_shape(const Shape& got, const Shape& expected, const std::string& where);
// Throws ShapeError unless got has `rank` dimensions.
void expect_rank(const Shape& got, std::size_t rank, const std::string& where);

template <class T>
class Tensor {
 public:
  using value_type = T;

  Tensor() = default;
  explicit Tensor(Shape shape, T fill = T(0)) : shape_(std::move(shape)), data_(shape_numel(shape_), fill) {}
  Tensor(Shape shape, std::vector<T> data) : shape_(std::move(shape)), data_(std::move(data)) {
    if (data_.size() != shape_numel(shape_))
      throw ShapeError("Tensor: shape " + shape_str(shape_) + " needs " + std::to_string(shape_numel(shape_)) +
                       " values, got " + std::to_string(data_.size()));
  }
  // 1-D tensor: Tensor<double>::from({0.3, 2.9, 4.0}). (A named factory, not an initializer-list
  // constructor, so that Tensor<T>({rows, cols}) always means a shape.)
  static Tensor from(std::initializer_list<T> values) { return Tensor(Shape{values.size()}, std::vector<T>(values)); }
  // 2-D tensor from rows: Tensor<double>::matrix({{1, -0.5}, {-2, 3}})
  static Tensor matrix(std::initializer_list<std::initializer_list<T>> rows) {
    Tensor t;
    std::size_t cols = rows.size() ? rows.begin()->size() : 0;
    t.shape_ = {rows.size(), cols};
    for (auto& r : rows) {
      if (r.size() != cols) throw ShapeError("Tensor::matrix: ragged rows");
      t.data_.insert(t.data_.end(), r.begin(), r.end());
    }
    return t;
  }
  static Tensor zeros_like(const Tensor& o) { return Tensor(o.shape_); }

  const Shape& shape() const { return shape_; }
  std::size_t ndim() const { return shape_.size(); }
  std::size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  // dim(-1) is the last dimension, as in NumPy.
  std::size_t dim(int i) const {
    int n = static_cast<int>(shape_.size());
    int k = i < 0 ? n + i : i;
    if (k < 0 || k >= n) throw ShapeError("Tensor::dim(" + std::to_string(i) + ") on shape " + shape_str(shape_));
    return shape_[static_cast<std::size_t>(k)];
  }

  T* data() { return data_.data(); }
  const T* data() const { return data_.data(); }
  std::vector<T>& vec() { return data_; }
  const std::vector<T>& vec() const { return data_; }
  T* begin() { return data_.data(); }
  T* end() { return data_.data() + data_.size(); }
  const T* begin() const { return data_.data(); }
  const T* end() const { return data_.data() + data_.size(); }

  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  T& operator()(std::size_t i, std::size_t j) { return data_[i * shape_[1] + j]; }
  const T& operator()(std::size_t i, std::size_t j) const { return data_[i * shape_[1] + j]; }
  T& operator()(std::size_t n, std::size_t c, std::size_t h, std::size_t w) {
    return data_[((n * shape_[1] + c) * shape_[2] + h) * shape_[3] + w];
  }
  const T& operator()(std::size_t n, std::size_t c, std::size_t h, std::size_t w) const {
    return data_[((n * shape_[1] + c) * shape_[2] + h) * shape_[3] + w];
  }

  // Give the tensor a new shape, reallocating only when it needs more room than it has: layers
  // call this on their cached buffers every batch, so the training loop does not allocate.
  void resize(const Shape& s) {
    if (s != shape_) {
      data_.resize(shape_numel(s));
      shape_ = s;
    }
  }
  // Same values, new shape with the same element count (row-major, like NumPy's reshape).
  Tensor& reshape(const Shape& s) {
    if (shape_numel(s) != data_.size())
      throw ShapeError("reshape: cannot view " + shape_str(shape_) + " as " + shape_str(s));
    shape_ = s;
    return *this;
  }
  Tensor reshaped(const Shape& s) const& { Tensor t = *this; t.reshape(s); return t; }
  Tensor reshaped(const Shape& s) && { reshape(s); return std::move(*this); }

  void fill(T v) { std::fill(data_.begin(), data_.end(), v); }

  template <class U>
  Tensor<U> cast() const {
    Tensor<U> out(shape_);
    for (std::size_t i = 0; i < data_.size(); ++i) out[i] = static_cast<U>(data_[i]);
    return out;
  }

  bool operator==(const Tensor& o) const { return shape_ == o.shape_ && data_ == o.data_; }

 private:
  Shape shape_;
  std::vector<T> data_;
};

// Row i of a 2-D (or higher) tensor as a flat pointer.
template <class T>
const T* row(const Tensor<T>& t, std::size_t i) { return t.data() + i * (t.size() / t.dim(0)); }

}  // namespace dlfs
