// Chapter 7.4: im2col unrolls every filter-sized window of a batch of images into a row (or
// column) of a matrix, so that a convolution becomes one matrix product; col2im is its adjoint
// (windows that overlap add their gradients back into the same pixel).
//
// Two layouts of the same numbers:
//  - im2col / col2im: the book's layout, col (N*out_h*out_w, C*FH*FW), one row per window.
//  - im2col_transposed / col2im_transposed: exactly col^T, (C*FH*FW, N*out_h*out_w), the one
//    Convolution uses. It is faster on both sides of the GEMM:
//      * building it copies contiguous runs of an image row (a memcpy when stride is 1) into
//        contiguous runs of the destination, where the book's layout scatters FW-long pieces;
//      * W (FN, C*FH*FW) x col^T gives (FN, N*out_h*out_w), in which each sample's feature map
//        is already a contiguous out_h*out_w block, so reaching (N, FN, out_h, out_w) is a copy
//        of whole blocks rather than the element-by-element transpose(0, 3, 1, 2) of the book.
// Padding is zero padding (np.pad with constant 0, as the book).
#pragma once
#include <cstddef>
#include <string>

#include "dlfs/tensor.hpp"

namespace dlfs {

// The sizes of one convolution or pooling window pass over a (N, C, H, W) batch.
struct ConvGeometry {
  std::size_t N = 0, C = 0, H = 0, W = 0;    // input
  std::size_t FH = 0, FW = 0;                // filter (or pooling window)
  std::size_t stride = 1, pad = 0;
  std::size_t out_h = 0, out_w = 0;          // (H + 2*pad - FH) / stride + 1, rounded down
  std::size_t col_rows() const { return N * out_h * out_w; }  // windows
  std::size_t col_cols() const { return C * FH * FW; }        // values per window
};

// Checks x is (N, C, H, W), stride >= 1, and the window fits in the padded input; `where` names
// the caller in the error ("Convolution: 5x5 filter does not fit in the padded input 3x3 ...").
ConvGeometry conv_geometry(const Shape& x_shape, std::size_t FH, std::size_t FW, std::size_t stride,
                           std::size_t pad, const std::string& where);

// The book's layout: col (N*out_h*out_w, C*FH*FW). col is resized (no reallocation when it fits).
template <class T>
void im2col(const Tensor<T>& x, std::size_t FH, std::size_t FW, std::size_t stride, std::size_t pad, Tensor<T>& col);
template <class T>
Tensor<T> im2col(const Tensor<T>& x, std::size_t FH, std::size_t FW, std::size_t stride = 1, std::size_t pad = 0) {
  Tensor<T> col;
  im2col(x, FH, FW, stride, pad, col);
  return col;
}
// col (N*out_h*out_w, C*FH*FW) -> x of shape x_shape, summing overlapping windows.
template <class T>
void col2im(const Tensor<T>& col, const Shape& x_shape, std::size_t FH, std::size_t FW, std::size_t stride,
            std::size_t pad, Tensor<T>& x);
template <class T>
Tensor<T> col2im(const Tensor<T>& col, const Shape& x_shape, std::size_t FH, std::size_t FW, std::size_t stride = 1,
                 std::size_t pad = 0) {
  Tensor<T> x;
  col2im(col, x_shape, FH, FW, stride, pad, x);
  return x;
}

// The transposed layout: col (C*FH*FW, N*out_h*out_w); row (c, ky, kx), column (n, oy, ox).
template <class T>
void im2col_transposed(const Tensor<T>& x, const ConvGeometry& g, Tensor<T>& col);
template <class T>
void col2im_transposed(const Tensor<T>& col, const ConvGeometry& g, Tensor<T>& x);

// The same for samples [n0, n1) of the batch g describes, on raw buffers (Convolution works on
// blocks of a few samples, so that a block's columns stay in cache). x points at sample 0 of
// the whole (N, C, H, W) batch; col is ((C*FH*FW), (n1-n0)*out_h*out_w), row-major. col2im
// overwrites samples [n0, n1) of x and leaves the others alone.
template <class T>
void im2col_transposed(const T* x, const ConvGeometry& g, std::size_t n0, std::size_t n1, T* col);
template <class T>
void col2im_transposed(const T* col, const ConvGeometry& g, std::size_t n0, std::size_t n1, T* x);

}  // namespace dlfs
