// Chapter 7.4.3: the convolution layer, im2col plus matrix products. The book unrolls the whole
// batch into one col matrix; here the batch is cut into blocks of a few samples whose columns
// fit in a core's cache (the whole batch's are 45 MB in DeepConvNet's second layer, 57 MB for
// SimpleConvNet's evaluation chunks of 1,000 digits), each block one matrix product, and the
// blocks are shared between dlfs's threads. Backward rebuilds each block's columns from a copy
// of x rather than keeping them all. The block size depends only on the shapes, and dW and db
// are summed over a fixed partition of the blocks into groups, so the numbers do not depend on
// the number of threads. It uses the transposed im2col layout (see im2col.hpp for why), which
// holds the same numbers as the book's col, transposed.
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
  // x (N, C, H, W) -> out (N, FN, out_h, out_w). With train, keeps a copy of x for backward.
  const Tensor<T>& forward(const Tensor<T>& x, bool train) override;
  // dout (N, FN, out_h, out_w) -> dx (N, C, H, W); fills dW (FN, C, FH, FW) and db (FN,).
  // Throws std::logic_error unless the last forward was a training one.
  const Tensor<T>& backward(const Tensor<T>& dout) override;
  std::vector<Param<T>*> params() override { return {&W_, &b_}; }

  Param<T>& W() { return W_; }
  Param<T>& b() { return b_; }
  std::size_t stride() const { return stride_; }
  std::size_t pad() const { return pad_; }

 private:
  struct Scratch {   // one per thread, kept across batches
    Tensor<T> col;   // (C*FH*FW, m*out_h*out_w): one block's columns
    Tensor<T> prod;  // (FN, m*out_h*out_w): forward's product; backward's dout block
    Tensor<T> dcol;  // (C*FH*FW, m*out_h*out_w)
  };

  Param<T> W_, b_;  // named "W" and "b"; a net renames them W1, b1, ...
  std::size_t stride_, pad_;
  ConvGeometry g_;         // of the last forward
  std::size_t block_ = 1;  // samples per block, for g_
  bool have_x_ = false;    // the last forward was a training one and x_ holds its input
  Tensor<T> x_;            // (N, C, H, W)
  Tensor<T> out_;          // (N, FN, out_h, out_w)
  Tensor<T> dx_;           // (N, C, H, W)
  Tensor<T> dW_parts_;     // (groups, FN*C*FH*FW): each group's dW, summed in group order
  Tensor<T> db_parts_;     // (groups, FN)
  std::vector<Scratch> scratch_;
};

extern template class Convolution<float>;
extern template class Convolution<double>;

}  // namespace dlfs
