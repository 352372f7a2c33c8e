// Batches: uint8 rows -> float/double, / 255 as the book's load_mnist(normalize=True).
#include "dlfs/data/dataset.hpp"

#include <algorithm>

#include "dlfs/linalg.hpp"
#include "dlfs/parallel.hpp"

#include <cstring>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif
#include <stdexcept>
#if defined(__linux__)
#include <sys/mman.h>
#endif

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

// Non-zero bytes of a row. A byte-by-byte count widened every byte to 32 bits and was a tenth of
// the MNIST run; AVX-512BW tests 64 bytes an instruction. Elsewhere eight bytes at a time:
// (b & 0x7F) + 0x7F sets a byte's top bit when any of its low seven bits is set, | b adds the top
// bit itself.
std::size_t count_row_swar(const std::uint8_t* s, std::size_t n) {
  constexpr std::uint64_t low7 = 0x7F7F7F7F7F7F7F7Full, high = 0x8080808080808080ull;
  std::size_t c = 0, p = 0;
  for (; p + 8 <= n; p += 8) {
    std::uint64_t w;
    std::memcpy(&w, s + p, 8);
    w = (((w & low7) + low7) | w) & high;
    c += static_cast<std::size_t>((w >> 7) * 0x0101010101010101ull >> 56);  // bytes are 0 or 1: sum them
  }
  for (; p < n; ++p) c += s[p] != 0;
  return c;
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f,avx512bw,popcnt"))) std::size_t count_row_avx512(const std::uint8_t* s, std::size_t n) {
  std::size_t c = 0, p = 0;
  for (; p + 64 <= n; p += 64) {
    const __m512i v = _mm512_loadu_si512(s + p);
    c += static_cast<std::size_t>(_mm_popcnt_u64(_mm512_test_epi8_mask(v, v)));
  }
  return c + count_row_swar(s + p, n - p);
}
const bool g_avx512bw = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512bw") != 0;
}();
#endif

std::size_t count_row(const std::uint8_t* s, std::size_t n) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (g_avx512bw) return count_row_avx512(s, n);
#endif
  return count_row_swar(s, n);
}

std::size_t row_of(const Dataset& d, const std::size_t* idx, std::size_t begin, std::size_t i, const char* who) {
  const std::size_t r = idx ? idx[i] : begin + i;
  if (r >= d.size())
    throw std::out_of_range(std::string(who) + ": expected row indices < " + std::to_string(d.size()) + ", found " +
                            std::to_string(r));
  return r;
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
    t[i] = T(d.labels[r]);
  }
  // Evaluation chunks (1,000 rows) are converted by all threads: the product after them is split
  // between threads too, and a serial conversion would leave the other core idle.
  const int tasks = static_cast<int>(std::min<std::size_t>(std::size_t(num_threads()), std::max<std::size_t>(n / 256, 1)));
  parallel_tasks(tasks, [&](int task) {
    std::size_t i0, i1;
    split_range(n, tasks, task, i0, i1);
    for (std::size_t i = i0; i < i1; ++i) convert_row(src + (idx ? idx[i] : begin + i) * px, dst + i * px, px, scale);
  });
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

std::size_t count_nonzero(const Dataset& d, const std::size_t* idx, std::size_t begin, std::size_t n) {
  const std::size_t px = d.pixels();
  std::size_t total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    // Batches are random rows of a set larger than the cache: ask for a later row's bytes while
    // this one is counted (this pass is the batch's first touch; the compression that follows
    // finds them in cache).
    if (idx && i + 4 < n && idx[i + 4] < d.size()) {
      const std::uint8_t* ahead = d.images.data() + idx[i + 4] * px;
      for (std::size_t off = 0; off < px; off += 64) __builtin_prefetch(ahead + off);
    }
    total += count_row(d.images.data() + row_of(d, idx, begin, i, "count_nonzero") * px, px);
  }
  return total;
}

void prefer_huge_pages(Tensor<std::uint8_t>& images) {
#if defined(__linux__)
  constexpr std::uintptr_t kHuge = std::uintptr_t(2) << 20;
  const auto begin = reinterpret_cast<std::uintptr_t>(images.data());
  const std::uintptr_t first = (begin + kHuge - 1) & ~(kHuge - 1), last = (begin + images.size()) & ~(kHuge - 1);
  if (last <= first) return;
  void* p = reinterpret_cast<void*>(first);
  madvise(p, last - first, MADV_HUGEPAGE);
#ifndef MADV_COLLAPSE
  constexpr int MADV_COLLAPSE = 25;  // Linux 6.1: collapse into huge pages now, not some time later
#endif
  madvise(p, last - first, MADV_COLLAPSE);  // (refused on older kernels: the advice above stays)
#else
  (void)images;
#endif
}

template <class T>
void sparse_batch_rows(const Dataset& d, const std::size_t* idx, std::size_t begin, SparseRows<T>& xs,
                       std::size_t r0, std::size_t r1) {
  const std::size_t px = d.pixels();
  if (xs.cols() != px || r1 > xs.rows() || r0 > r1)
    throw std::invalid_argument("sparse_batch_rows: expected rows [r0, r1) of a batch of " + std::to_string(px) +
                                "-pixel images, got [" + std::to_string(r0) + ", " + std::to_string(r1) +
                                ") of a (" + std::to_string(xs.rows()) + ", " + std::to_string(xs.cols()) + ") batch");
  for (std::size_t i = r0; i < r1; ++i) row_of(d, idx, begin, i, "sparse_batch_rows");
  xs.compress_bytes(d.images.data(), px, idx, begin, r0, r1, T(1) / T(255));
}

template <class T>
void gather_labels(const Dataset& d, const std::size_t* idx, std::size_t begin, std::size_t n, Tensor<T>& t) {
  t.resize({n});
  for (std::size_t i = 0; i < n; ++i) t[i] = T(d.labels[row_of(d, idx, begin, i, "gather_labels")]);
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
  template Tensor<T> one_hot<T>(const std::vector<std::uint8_t>&, std::size_t);                               \
  template void sparse_batch_rows<T>(const Dataset&, const std::size_t*, std::size_t, SparseRows<T>&, std::size_t,  \
                                     std::size_t);                                                               \
  template void gather_labels<T>(const Dataset&, const std::size_t*, std::size_t, std::size_t, Tensor<T>&);
DLFS_INSTANTIATE(float)
DLFS_INSTANTIATE(double)
#undef DLFS_INSTANTIATE

}  // namespace dlfs
