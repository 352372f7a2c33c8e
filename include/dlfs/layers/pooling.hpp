// Chapter 7.5: max pooling. Forward keeps, for every output, where its maximum came from, so
// backward routes each gradient to that one input and nowhere else.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dlfs/layers/im2col.hpp"
#include "dlfs/layers/layer.hpp"

namespace dlfs {

template <class T>
class Pooling : public Layer<T> {
 public:
  // A pool_h x pool_w window moved by stride. Padding is zero padding, as the book's im2col, so a
  // padded cell wins a window whose real values are all negative (its gradient then goes
  // nowhere). Ties go to the first maximum in row-major window order, as np.argmax.
  // Throws std::invalid_argument for a zero window size or stride.
  // Defaults as the book's Pooling(pool_h, pool_w, stride=2, pad=0).
  Pooling(std::size_t pool_h, std::size_t pool_w, std::size_t stride = 2, std::size_t pad = 0);

  std::string type() const override { return "Pooling"; }
  // x (N, C, H, W) -> out (N, C, out_h, out_w)
  const Tensor<T>& forward(const Tensor<T>& x, bool train) override;
  // dout (N, C, out_h, out_w) -> dx (N, C, H, W)
  const Tensor<T>& backward(const Tensor<T>& dout) override;

  std::size_t pool_h() const { return pool_h_; }
  std::size_t pool_w() const { return pool_w_; }
  std::size_t stride() const { return stride_; }
  std::size_t pad() const { return pad_; }
  // For each output (flat, in out's order): where its maximum is, as the offset y * W + x within
  // the output's own (n, c) plane of the input, or kPadding for a padded cell.
  const std::vector<std::uint32_t>& arg_max() const { return arg_max_; }
  static constexpr std::uint32_t kPadding = 0xffffffffu;

 private:
  std::size_t pool_h_, pool_w_, stride_, pad_;
  ConvGeometry g_;
  std::vector<std::uint32_t> arg_max_;
  Tensor<T> out_, dx_;
};

extern template class Pooling<float>;
extern template class Pooling<double>;

}  // namespace dlfs
