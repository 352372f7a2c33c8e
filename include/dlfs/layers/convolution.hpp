// Chapter 7.4.3: the convolution layer. Forward is im2col plus ONE matrix product for the whole
// batch; backward is a row sum (db), a matrix product (dW) and, when the layer below needs dx,
// another matrix product followed by col2im. It uses the transposed im2col layout (see
// im2col.hpp for why), which holds the same numbers as the book's col, transposed.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "dlfs/layers/im2col.hpp"
#include "dlfs/layers/layer.hpp"

namespace dlfs {

template <class T>
class Convolution : public Layer<T> {
 public:
  // W (FN, C, FH, FW): FN filters over C channels; b (FN,). Throws std::invalid_argument for a
  // stride of 0 and ShapeError for a W that is not 4-D or a b that does not have FN values.
  Convolution(Tensor<T> W, Tensor<T> b, std::size_t stride = 1, std::size_t pad = 0);

  std::string type() const override { return "Convolution"; }
  // x (N, C, H, W) -> out (N, FN, out_h, out_w)
  const Tensor<T>& forward(const Tensor<T>& x, bool train) override;
  // dout (N, FN, out_h, out_w) -> dx (N, C, H, W); fills dW (FN, C, FH, FW) and db (FN,)
  const Tensor<T>& backward(const Tensor<T>& dout) override;
  std::vector<Param<T>*> params() override { return {&W_, &b_}; }

  Param<T>& W() { return W_; }
  Param<T>& b() { return b_; }
  std::size_t stride() const { return stride_; }
  std::size_t pad() const { return pad_; }

 private:
  Param<T> W_, b_;  // named "W" and "b"; a net renames them W1, b1, ...
  std::size_t stride_, pad_;
  ConvGeometry g_;  // of the last forward
  // Buffers kept across batches: resized, not reallocated, while the batch shape is unchanged.
  Tensor<T> col_;     // (C*FH*FW, N*out_h*out_w), kept for dW
  Tensor<T> out_t_;   // (FN, N*out_h*out_w): forward's GEMM result; backward's dout, same layout
  Tensor<T> out_;     // (N, FN, out_h, out_w)
  Tensor<T> dcol_;    // (C*FH*FW, N*out_h*out_w)
  Tensor<T> dx_;      // (N, C, H, W)
};

extern template class Convolution<float>;
extern template class Convolution<double>;

}  // namespace dlfs
