#include "dlfs/layers/im2col.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace dlfs {

namespace {

// The outputs o in [lo, hi) whose input index o*stride + k - pad lies in [0, in): the window
// offset k reads real pixels there and padding elsewhere. Computed once per filter offset, so
// the inner loops copy or add plain runs without testing bounds per element.
struct Span {
  std::size_t lo, hi;
};
Span valid_span(std::size_t k, std::size_t pad, std::size_t stride, std::size_t in, std::size_t out) {
  std::size_t lo = k >= pad ? 0 : (pad - k + stride - 1) / stride;
  std::size_t hi = in + pad <= k ? 0 : std::min(out, (in - 1 + pad - k) / stride + 1);
  return {std::min(lo, hi), hi};
}

std::string dims(std::size_t h, std::size_t w) { return std::to_string(h) + "x" + std::to_string(w); }

}  // namespace

ConvGeometry conv_geometry(const Shape& x_shape, std::size_t FH, std::size_t FW, std::size_t stride,
                           std::size_t pad, const std::string& where) {
  if (x_shape.size() != 4)
    throw ShapeError(where + ": expected input (N, C, H, W), got " + shape_str(x_shape));
  if (stride < 1) throw std::invalid_argument(where + ": stride must be >= 1, got 0");
  if (FH < 1 || FW < 1) throw std::invalid_argument(where + ": window must be at least 1x1, got " + dims(FH, FW));
  ConvGeometry g;
  g.N = x_shape[0], g.C = x_shape[1], g.H = x_shape[2], g.W = x_shape[3];
  g.FH = FH, g.FW = FW, g.stride = stride, g.pad = pad;
  if (g.H + 2 * pad < FH || g.W + 2 * pad < FW)
    throw ShapeError(where + ": " + dims(FH, FW) + " window does not fit in the padded input " +
                     dims(g.H + 2 * pad, g.W + 2 * pad) + " (input " + shape_str(x_shape) + ", pad " +
                     std::to_string(pad) + ")");
  g.out_h = (g.H + 2 * pad - FH) / stride + 1;
  g.out_w = (g.W + 2 * pad - FW) / stride + 1;
  shape_numel({g.col_rows(), g.col_cols()});  // throws rather than overflow on absurd sizes
  return g;
}

// ---------------------------------------------------------------------------------------------
// Book layout. Row (n, oy, ox) holds the window at (oy, ox) of sample n, ordered (c, ky, kx).

template <class T>
void im2col(const Tensor<T>& x, std::size_t FH, std::size_t FW, std::size_t stride, std::size_t pad, Tensor<T>& col) {
  const ConvGeometry g = conv_geometry(x.shape(), FH, FW, stride, pad, "im2col");
  const std::size_t K = g.col_cols();
  col.resize({g.col_rows(), K});  // (N*out_h*out_w, C*FH*FW)
  T* out = col.data();
  for (std::size_t n = 0; n < g.N; ++n)
    for (std::size_t oy = 0; oy < g.out_h; ++oy)
      for (std::size_t ox = 0; ox < g.out_w; ++ox, out += K) {
        // kx in [klo, khi) reads real pixels of this window; the rest is padding.
        const std::size_t x0 = ox * stride;  // left edge in padded coordinates
        const std::size_t klo = pad > x0 ? std::min(FW, pad - x0) : 0;
        const std::size_t khi = std::max(klo, std::min(FW, g.W + pad > x0 ? g.W + pad - x0 : 0));
        for (std::size_t c = 0; c < g.C; ++c)
          for (std::size_t ky = 0; ky < FH; ++ky) {
            T* d = out + (c * FH + ky) * FW;
            const std::size_t y = oy * stride + ky;  // padded coordinates
            if (y < pad || y >= g.H + pad) {
              std::fill(d, d + FW, T(0));
              continue;
            }
            std::fill(d, d + klo, T(0));
            if (khi > klo) {
              const T* src = x.data() + ((n * g.C + c) * g.H + (y - pad)) * g.W + (x0 + klo - pad);
              std::copy(src, src + (khi - klo), d + klo);
            }
            std::fill(d + khi, d + FW, T(0));
          }
      }
}

template <class T>
void col2im(const Tensor<T>& col, const Shape& x_shape, std::size_t FH, std::size_t FW, std::size_t stride,
            std::size_t pad, Tensor<T>& x) {
  const ConvGeometry g = conv_geometry(x_shape, FH, FW, stride, pad, "col2im");
  const std::size_t K = g.col_cols();
  expect_shape(col.shape(), {g.col_rows(), K}, "col2im: col for input " + shape_str(x_shape));
  x.resize(x_shape);
  x.fill(T(0));
  const T* in = col.data();
  for (std::size_t n = 0; n < g.N; ++n)
    for (std::size_t oy = 0; oy < g.out_h; ++oy)
      for (std::size_t ox = 0; ox < g.out_w; ++ox, in += K) {
        const std::size_t x0 = ox * stride;
        const std::size_t klo = pad > x0 ? std::min(FW, pad - x0) : 0;
        const std::size_t khi = std::max(klo, std::min(FW, g.W + pad > x0 ? g.W + pad - x0 : 0));
        for (std::size_t c = 0; c < g.C; ++c)
          for (std::size_t ky = 0; ky < FH; ++ky) {
            const std::size_t y = oy * stride + ky;
            if (y < pad || y >= g.H + pad || khi == klo) continue;
            const T* s = in + (c * FH + ky) * FW;
            T* dst = x.data() + ((n * g.C + c) * g.H + (y - pad)) * g.W + (x0 + klo - pad);
            for (std::size_t k = klo; k < khi; ++k) dst[k - klo] += s[k];
          }
      }
}

// ---------------------------------------------------------------------------------------------
// Transposed layout. Row (c, ky, kx) holds, for every window (n, oy, ox), the pixel at offset
// (ky, kx) of that window: for a fixed (n, c, ky, kx) that is out_h runs of out_w values, each
// run a strided (stride 1: contiguous) piece of one image row.

template <class T>
void im2col_transposed(const T* x, const ConvGeometry& g, std::size_t n0, std::size_t n1, T* col) {
  const std::size_t OH = g.out_h, OW = g.out_w, OHW = OH * OW, ld = (n1 - n0) * OHW, s = g.stride;
  for (std::size_t n = n0; n < n1; ++n)
    for (std::size_t c = 0; c < g.C; ++c) {
      const T* plane = x + (n * g.C + c) * g.H * g.W;
      for (std::size_t ky = 0; ky < g.FH; ++ky) {
        const Span ys = valid_span(ky, g.pad, s, g.H, OH);
        for (std::size_t kx = 0; kx < g.FW; ++kx) {
          const Span xs = valid_span(kx, g.pad, s, g.W, OW);
          T* dst = col + ((c * g.FH + ky) * g.FW + kx) * ld + (n - n0) * OHW;
          if (xs.lo == xs.hi) {  // this offset only ever reads padding
            std::fill(dst, dst + OHW, T(0));
            continue;
          }
          std::fill(dst, dst + ys.lo * OW, T(0));
          for (std::size_t oy = ys.lo; oy < ys.hi; ++oy) {
            T* d = dst + oy * OW;
            const T* src = plane + (oy * s + ky - g.pad) * g.W + (xs.lo * s + kx - g.pad);
            std::fill(d, d + xs.lo, T(0));
            if (s == 1) {
              std::memcpy(d + xs.lo, src, (xs.hi - xs.lo) * sizeof(T));
            } else {
              for (std::size_t ox = xs.lo; ox < xs.hi; ++ox, src += s) d[ox] = *src;
            }
            std::fill(d + xs.hi, d + OW, T(0));
          }
          std::fill(dst + ys.hi * OW, dst + OHW, T(0));
        }
      }
    }
}

template <class T>
void col2im_transposed(const T* col, const ConvGeometry& g, std::size_t n0, std::size_t n1, T* x) {
  const std::size_t OH = g.out_h, OW = g.out_w, OHW = OH * OW, ld = (n1 - n0) * OHW, s = g.stride;
  std::fill(x + n0 * g.C * g.H * g.W, x + n1 * g.C * g.H * g.W, T(0));
  for (std::size_t n = n0; n < n1; ++n)
    for (std::size_t c = 0; c < g.C; ++c) {
      T* plane = x + (n * g.C + c) * g.H * g.W;
      for (std::size_t ky = 0; ky < g.FH; ++ky) {
        const Span ys = valid_span(ky, g.pad, s, g.H, OH);
        for (std::size_t kx = 0; kx < g.FW; ++kx) {
          const Span xs = valid_span(kx, g.pad, s, g.W, OW);
          if (xs.lo == xs.hi) continue;
          const T* src = col + ((c * g.FH + ky) * g.FW + kx) * ld + (n - n0) * OHW;
          for (std::size_t oy = ys.lo; oy < ys.hi; ++oy) {
            const T* sr = src + oy * OW;
            T* d = plane + (oy * s + ky - g.pad) * g.W + (xs.lo * s + kx - g.pad);
            if (s == 1) {
              for (std::size_t ox = xs.lo; ox < xs.hi; ++ox) d[ox - xs.lo] += sr[ox];
            } else {
              for (std::size_t ox = xs.lo; ox < xs.hi; ++ox, d += s) *d += sr[ox];
            }
          }
        }
      }
    }
}

template <class T>
void im2col_transposed(const Tensor<T>& x, const ConvGeometry& g, Tensor<T>& col) {
  expect_shape(x.shape(), {g.N, g.C, g.H, g.W}, "im2col_transposed");
  col.resize({g.col_cols(), g.col_rows()});  // (C*FH*FW, N*out_h*out_w)
  im2col_transposed(x.data(), g, 0, g.N, col.data());
}

template <class T>
void col2im_transposed(const Tensor<T>& col, const ConvGeometry& g, Tensor<T>& x) {
  expect_shape(col.shape(), {g.col_cols(), g.col_rows()}, "col2im_transposed");
  x.resize({g.N, g.C, g.H, g.W});
  col2im_transposed(col.data(), g, 0, g.N, x.data());
}

#define DLFS_INSTANTIATE(T)                                                                                   \
  template void im2col<T>(const Tensor<T>&, std::size_t, std::size_t, std::size_t, std::size_t, Tensor<T>&); \
  template void col2im<T>(const Tensor<T>&, const Shape&, std::size_t, std::size_t, std::size_t, std::size_t, \
                          Tensor<T>&);                                                                        \
  template void im2col_transposed<T>(const Tensor<T>&, const ConvGeometry&, Tensor<T>&);                     \
  template void col2im_transposed<T>(const Tensor<T>&, const ConvGeometry&, Tensor<T>&);                     \
  template void im2col_transposed<T>(const T*, const ConvGeometry&, std::size_t, std::size_t, T*);           \
  template void col2im_transposed<T>(const T*, const ConvGeometry&, std::size_t, std::size_t, T*);
DLFS_INSTANTIATE(float)
DLFS_INSTANTIATE(double)
#undef DLFS_INSTANTIATE

}  // namespace dlfs
