#include "dlfs/layers/convolution.hpp"

#include <algorithm>
#include <stdexcept>

#include "dlfs/linalg.hpp"

namespace dlfs {

template <class T>
Convolution<T>::Convolution(Tensor<T> W, Tensor<T> b, std::size_t stride, std::size_t pad)
    : stride_(stride), pad_(pad) {
  if (W.ndim() != 4 || W.empty())
    throw ShapeError("Convolution: expected W (FN, C, FH, FW) with no zero dimension, got " + shape_str(W.shape()));
  expect_shape(b.shape(), {W.dim(0)}, "Convolution: b for W " + shape_str(W.shape()));
  if (stride < 1) throw std::invalid_argument("Convolution: stride must be >= 1, got 0");
  W_ = Param<T>("W", std::move(W));
  b_ = Param<T>("b", std::move(b));
}

template <class T>
const Tensor<T>& Convolution<T>::forward(const Tensor<T>& x, bool /*train*/) {
  const Shape& ws = W_.value.shape();
  const std::size_t FN = ws[0], C = ws[1];
  if (x.ndim() != 4 || x.dim(1) != C)
    throw ShapeError("Convolution: expected input (N, " + std::to_string(C) + ", H, W), got " + shape_str(x.shape()));
  g_ = conv_geometry(x.shape(), ws[2], ws[3], stride_, pad_, "Convolution");
  const std::size_t K = g_.col_cols(), NP = g_.col_rows(), OHW = g_.out_h * g_.out_w;

  im2col_transposed(x, g_, col_);  // (C*FH*FW, N*OH*OW)
  // (FN, C*FH*FW) x (C*FH*FW, N*OH*OW) -> (FN, N*OH*OW)
  out_t_.resize({FN, NP});
  gemm(Trans::No, Trans::No, FN, NP, K, T(1), W_.value.data(), K, col_.data(), NP, T(0), out_t_.data(), NP);

  // (FN, N, OH*OW) -> (N, FN, OH, OW), adding the bias on the way: whole OH*OW blocks move.
  out_.resize({g_.N, FN, g_.out_h, g_.out_w});
  for (std::size_t n = 0; n < g_.N; ++n)
    for (std::size_t f = 0; f < FN; ++f) {
      const T* src = out_t_.data() + f * NP + n * OHW;
      T* dst = out_.data() + (n * FN + f) * OHW;
      const T bias = b_.value[f];
      for (std::size_t p = 0; p < OHW; ++p) dst[p] = src[p] + bias;
    }
  return out_;
}

template <class T>
const Tensor<T>& Convolution<T>::backward(const Tensor<T>& dout) {
  if (out_.ndim() != 4) throw std::logic_error("Convolution: backward called before forward");
  const std::size_t FN = W_.value.dim(0), K = g_.col_cols(), NP = g_.col_rows(), OHW = g_.out_h * g_.out_w;
  expect_shape(dout.shape(), {g_.N, FN, g_.out_h, g_.out_w}, "Convolution backward (dout)");

  // (N, FN, OH, OW) -> (FN, N*OH*OW) into out_t_ (forward is done with it); db = its row sums
  T* dout_t = out_t_.data();
  for (std::size_t f = 0; f < FN; ++f) b_.grad[f] = T(0);
  for (std::size_t n = 0; n < g_.N; ++n)
    for (std::size_t f = 0; f < FN; ++f) {
      const T* src = dout.data() + (n * FN + f) * OHW;
      T* dst = dout_t + f * NP + n * OHW;
      std::copy(src, src + OHW, dst);
      // Eight independent partial sums: one running sum would serialise on the add latency
      // (the compiler may not reorder float additions), which cost as much as the dW GEMM.
      T s[8] = {};
      std::size_t p = 0;
      for (; p + 8 <= OHW; p += 8)
        for (std::size_t j = 0; j < 8; ++j) s[j] += src[p + j];
      for (; p < OHW; ++p) s[0] += src[p];
      b_.grad[f] += ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
    }
  // dW (FN, C*FH*FW) = dout_t (FN, N*OH*OW) x col^T (N*OH*OW, C*FH*FW)
  gemm(Trans::No, Trans::Yes, FN, K, NP, T(1), dout_t, NP, col_.data(), NP, T(0), W_.grad.data(), K);

  if (!this->need_dx()) {
    dx_.resize({0});
    return dx_;
  }
  // dcol (C*FH*FW, N*OH*OW) = W^T (C*FH*FW, FN) x dout_t (FN, N*OH*OW), then back to (N, C, H, W)
  dcol_.resize({K, NP});
  gemm(Trans::Yes, Trans::No, K, NP, FN, T(1), W_.value.data(), K, dout_t, NP, T(0), dcol_.data(), NP);
  col2im_transposed(dcol_, g_, dx_);
  return dx_;
}

template class Convolution<float>;
template class Convolution<double>;

}  // namespace dlfs
