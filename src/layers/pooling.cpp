#include "dlfs/layers/pooling.hpp"

#include <stdexcept>

namespace dlfs {

template <class T>
Pooling<T>::Pooling(std::size_t pool_h, std::size_t pool_w, std::size_t stride, std::size_t pad)
    : pool_h_(pool_h), pool_w_(pool_w), stride_(stride), pad_(pad) {
  if (pool_h < 1 || pool_w < 1)
    throw std::invalid_argument("Pooling: window must be at least 1x1, got " + std::to_string(pool_h) + "x" +
                                std::to_string(pool_w));
  if (stride < 1) throw std::invalid_argument("Pooling: stride must be >= 1, got 0");
}

template <class T>
const Tensor<T>& Pooling<T>::forward(const Tensor<T>& x, bool /*train*/) {
  g_ = conv_geometry(x.shape(), pool_h_, pool_w_, stride_, pad_, "Pooling");
  const std::size_t H = g_.H, W = g_.W, OH = g_.out_h, OW = g_.out_w, s = stride_, pad = pad_;
  out_.resize({g_.N, g_.C, OH, OW});
  arg_max_.resize(out_.size());
  T* out = out_.data();
  std::size_t* arg = arg_max_.data();
  for (std::size_t q = 0; q < g_.N * g_.C; ++q) {  // one (n, c) plane at a time
    const std::size_t base = q * H * W;
    const T* plane = x.data() + base;
    for (std::size_t oy = 0; oy < OH; ++oy) {
      const std::size_t y0 = oy * s;  // top edge, padded coordinates
      const bool rows_inside = y0 >= pad && y0 + pool_h_ <= H + pad;
      for (std::size_t ox = 0; ox < OW; ++ox, ++out, ++arg) {
        const std::size_t x0 = ox * s;
        T best;
        std::size_t best_i;
        if (rows_inside && x0 >= pad && x0 + pool_w_ <= W + pad) {
          // The usual case: the window lies on real pixels, no bounds tests.
          const std::size_t top_left = (y0 - pad) * W + (x0 - pad);
          best = plane[top_left];
          best_i = top_left;
          for (std::size_t ky = 0; ky < pool_h_; ++ky) {
            const std::size_t r = top_left + ky * W;
            for (std::size_t kx = 0; kx < pool_w_; ++kx)
              if (plane[r + kx] > best) best = plane[r + kx], best_i = r + kx;
          }
          best_i += base;
        } else {
          // A window over the border: padded cells count as 0, scanned in the same order.
          bool first = true;
          best = T(0);
          best_i = kPadding;
          for (std::size_t ky = 0; ky < pool_h_; ++ky)
            for (std::size_t kx = 0; kx < pool_w_; ++kx) {
              const std::size_t y = y0 + ky, xx = x0 + kx;
              const bool real = y >= pad && y < H + pad && xx >= pad && xx < W + pad;
              const T v = real ? plane[(y - pad) * W + (xx - pad)] : T(0);
              if (first || v > best) {
                best = v;
                best_i = real ? base + (y - pad) * W + (xx - pad) : kPadding;
                first = false;
              }
            }
        }
        *out = best;
        *arg = best_i;
      }
    }
  }
  return out_;
}

template <class T>
const Tensor<T>& Pooling<T>::backward(const Tensor<T>& dout) {
  if (out_.ndim() != 4) throw std::logic_error("Pooling: backward called before forward");
  expect_shape(dout.shape(), out_.shape(), "Pooling backward (dout)");
  if (!this->need_dx()) {
    dx_.resize({0});
    return dx_;
  }
  dx_.resize({g_.N, g_.C, g_.H, g_.W});
  dx_.fill(T(0));
  // += because windows overlap when stride < pool size.
  for (std::size_t i = 0; i < arg_max_.size(); ++i)
    if (arg_max_[i] != kPadding) dx_[arg_max_[i]] += dout[i];
  return dx_;
}

template class Pooling<float>;
template class Pooling<double>;

}  // namespace dlfs
