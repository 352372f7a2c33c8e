// Batches: uint8 rows -> float/double, / 255 as the book's load_mnist(normalize=True).
#include "dlfs/data/dataset.hpp"

#include <stdexcept>

namespace dlfs {
namespace {

// One row of bytes to T, / 255. __restrict: uint8_t may alias anything, so without it GCC keeps
// this loop scalar; target_clones: with AVX2/AVX-512 it is 2-3x faster than with the baseline
// SSE2 the library is built for (it was a fifth of the seeds' run), chosen at load time.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DLFS_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define DLFS_CLONES
#endif
DLFS_CLONES void convert_row(const std::uint8_t* __restrict s, float* __restrict out, std::size_t n, float scale) {
  for (std::size_t p = 0; p < n; ++p) out[p] = float(s[p]) * scale;
}
DLFS_CLONES void convert_row(const std::uint8_t* __restrict s, double* __restrict out, std::size_t n, double scale) {
  for (std::size_t p = 0; p < n; ++p) out[p] = double(s[p]) * scale;
}

template <class T>
void copy_rows(const Dataset& d, const std::size_t* idx, std::size_t begin, std::size_t n, bool flatten,
               Tensor<T>& x, Tensor<T>& t) {
  const std::size_t px = d.pixels();
  if (flatten)
    x.resize({n, px});  // (n, rows*cols)
  else
    x.resize({n, 1, d.rows(), d.cols()});  // (n, 1, rows, cols)
  t.resize({n});
  const T scale = T(1) / T(255);
  const std::uint8_t* src = d.images.data();
  T* dst = x.data();
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t r = idx ? idx[i] : begin + i;
    if (r >= d.size())
      throw std::out_of_range("gather_batch: expected row indices < " + std::to_string(d.size()) + ", found " +
                              std::to_string(r));
    convert_row(src + r * px, dst + i * px, px, scale);
    t[i] = T(d.labels[r]);
  }
}

}  // namespace

template <class T>
void gather_batch(const Dataset& d, const std::size_t* idx, std::size_t n, bool flatten, Tensor<T>& x,
                  Tensor<T>& t) {
  copy_rows(d, idx, 0, n, flatten, x, t);
}

template <class T>
void slice_batch(const Dataset& d, std::size_t begin, std::size_t end, bool flatten, Tensor<T>& x, Tensor<T>& t) {
  if (begin > end || end > d.size())
    throw std::out_of_range("slice_batch: expected 0 <= begin <= end <= " + std::to_string(d.size()) + ", found [" +
                            std::to_string(begin) + ", " + std::to_string(end) + ")");
  copy_rows(d, nullptr, begin, end - begin, flatten, x, t);
}

template <class T>
Tensor<T> one_hot(const std::vector<std::uint8_t>& labels, std::size_t num_classes) {
  Tensor<T> out(Shape{labels.size(), num_classes});  // (n, num_classes)
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] >= num_classes)
      throw std::invalid_argument("one_hot: expected labels < " + std::to_string(num_classes) + ", found " +
                                  std::to_string(labels[i]) + " at index " + std::to_string(i));
    out(i, labels[i]) = T(1);
  }
  return out;
}

#define DLFS_INSTANTIATE(T)                                                                                      \
  template void gather_batch<T>(const Dataset&, const std::size_t*, std::size_t, bool, Tensor<T>&, Tensor<T>&); \
  template void slice_batch<T>(const Dataset&, std::size_t, std::size_t, bool, Tensor<T>&, Tensor<T>&);         \
  template Tensor<T> one_hot<T>(const std::vector<std::uint8_t>&, std::size_t);
DLFS_INSTANTIATE(float)
DLFS_INSTANTIATE(double)
#undef DLFS_INSTANTIATE

}  // namespace dlfs
