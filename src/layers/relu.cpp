#include "dlfs/layers/relu.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <type_traits>

#include "dlfs/layers/fault.hpp"
#include "dlfs/linalg.hpp"
#include "dlfs/parallel.hpp"

namespace dlfs {

namespace {

// Element ranges of at least this size go to dlfs's threads (a conv net's feature maps are
// millions of values; the dense nets' (100, 50) activations stay on the calling thread).
constexpr std::size_t kMinPerTask = std::size_t(1) << 16;

// fn(begin, end) over [0, n), split between threads. Every element gets the same value either way.
template <class F>
void for_ranges(std::size_t n, F&& fn) {
  const int tasks = static_cast<int>(std::min<std::size_t>(num_threads(), n / kMinPerTask));
  if (tasks <= 1) {
    fn(std::size_t(0), n);
    return;
  }
  parallel_tasks(tasks, [&](int t) {
    std::size_t b, e;
    split_range(n, tasks, t, b, e);
    fn(b, e);
  });
}

// __restrict: the mask is bytes, which may alias anything, so without it GCC would not vectorise
// these loops (the forward one was a tenth of the seeds' run).
template <class T>
void relu_mask(const T* __restrict px, T* __restrict po, std::uint8_t* __restrict pm, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const bool off = px[i] <= T(0);
    pm[i] = off;
    po[i] = off ? T(0) : px[i];
  }
}
template <class T>
void relu_only(const T* __restrict px, T* __restrict po, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) po[i] = px[i] <= T(0) ? T(0) : px[i];
}
// As bit masks: written as `pm[i] ? 0 : pd[i]`, GCC made a branch per element, which the random
// mask mispredicts half the time (5 ms for SimpleConvNet's (100, 30, 24, 24), 6x the forward).
template <class T>
void block_by_mask(const T* __restrict pd, const std::uint8_t* __restrict pm, T* __restrict px, std::size_t n) {
  using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  static_assert(sizeof(U) == sizeof(T));
  for (std::size_t i = 0; i < n; ++i)
    px[i] = std::bit_cast<T>(std::bit_cast<U>(pd[i]) & (U(pm[i]) - U(1)));  // pm 1 -> 0, 0 -> all ones
}
template <class T>
void block_by_out(const T* __restrict pd, const T* __restrict po, T* __restrict px, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) px[i] = po[i] == T(0) ? T(0) : pd[i];
}

}  // namespace

template <class T>
const Tensor<T>& Relu<T>::forward(const Tensor<T>& x, bool train) {
  out_.resize(x.shape());
  const std::size_t n = x.size();
  mask_valid_ = train;
  const T* px = x.data();
  T* po = out_.data();
  if (!train) {  // inference: no mask (a backward after it reads the mask off out_ instead)
    for_ranges(n, [&](std::size_t b, std::size_t e) { relu_only(px + b, po + b, e - b); });
    return out_;
  }
  mask_.resize(n);
  std::uint8_t* pm = mask_.data();
  for_ranges(n, [&](std::size_t b, std::size_t e) { relu_mask(px + b, po + b, pm + b, e - b); });
  return out_;
}

template <class T>
const Tensor<T>& Relu<T>::backward(const Tensor<T>& dout) {
  expect_shape(dout.shape(), out_.shape(), "Relu backward: dout");
  dx_.resize(dout.shape());
  const T* pd = dout.data();
  T* px = dx_.data();
  const std::size_t n = dout.size();
  if (injected_fault() == Fault::ReluMask) {  // tests only: forget the mask
    std::copy(pd, pd + n, px);
    return dx_;
  }
  if (!mask_valid_) {  // after an inference forward: out_ is 0 exactly where x <= 0
    const T* po = out_.data();
    for_ranges(n, [&](std::size_t b, std::size_t e) { block_by_out(pd + b, po + b, px + b, e - b); });
    return dx_;
  }
  const std::uint8_t* pm = mask_.data();
  for_ranges(n, [&](std::size_t b, std::size_t e) { block_by_mask(pd + b, pm + b, px + b, e - b); });
  return dx_;
}

template class Relu<float>;
template class Relu<double>;

}  // namespace dlfs
