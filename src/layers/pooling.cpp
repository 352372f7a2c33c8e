#include "dlfs/layers/pooling.hpp"

#include <algorithm>
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

namespace {

// The 2x2 window of both conv nets, as selects rather than branches (on real data the branch
// predictor would guess wrong about half the time). Rows r0 and r0 + W, columns j and j + 1;
// returns the offset of the first maximum in row-major order, as np.argmax.
template <class T>
inline std::size_t max2x2(const T* r0, std::size_t j, std::size_t W, T& best) {
  const T a = r0[j], b = r0[j + 1], c = r0[W + j], d = r0[W + j + 1];
  const bool ab = b > a, cd = d > c;
  const T top = ab ? b : a, bottom = cd ? d : c;
  const std::size_t top_i = ab ? j + 1 : j, bottom_i = cd ? W + j + 1 : W + j;
  const bool lower = bottom > top;  // strict: on a tie the top row came first
  best = lower ? bottom : top;
  return lower ? bottom_i : top_i;
}

}  // namespace

template <class T>
const Tensor<T>& Pooling<T>::forward(const Tensor<T>& x, bool /*train*/) {
  g_ = conv_geometry(x.shape(), pool_h_, pool_w_, stride_, pad_, "Pooling");
  const std::size_t H = g_.H, W = g_.W, OH = g_.out_h, OW = g_.out_w, s = stride_, pad = pad_;
  const std::size_t ph = pool_h_, pw = pool_w_;
  out_.resize({g_.N, g_.C, OH, OW});
  arg_max_.resize(out_.size());
  // Columns [ox_lo, ox_hi) hold windows that lie on real pixels horizontally; rows are tested
  // once per output row. Only the border windows pay for bounds tests.
  const std::size_t ox_lo = std::min(OW, (pad + s - 1) / s);
  const std::size_t ox_hi = std::max(ox_lo, W + pad >= pw ? std::min(OW, (W + pad - pw) / s + 1) : 0);
  const bool is2x2 = ph == 2 && pw == 2;

  for (std::size_t q = 0; q < g_.N * g_.C; ++q) {  // one (n, c) plane at a time
    const std::size_t base = q * H * W;
    const T* plane = x.data() + base;
    for (std::size_t oy = 0; oy < OH; ++oy) {
      T* out = out_.data() + (q * OH + oy) * OW;
      std::size_t* arg = arg_max_.data() + (q * OH + oy) * OW;
      const std::size_t y0 = oy * s;  // top edge, padded coordinates
      const bool rows_inside = y0 >= pad && y0 + ph <= H + pad;

      // A window over the border: padded cells count as 0, scanned in row-major order.
      auto border = [&](std::size_t ox) {
        const std::size_t x0 = ox * s;
        bool first = true;
        T best = T(0);
        std::size_t best_i = kPadding;
        for (std::size_t ky = 0; ky < ph; ++ky)
          for (std::size_t kx = 0; kx < pw; ++kx) {
            const std::size_t y = y0 + ky, xx = x0 + kx;
            const bool real = y >= pad && y < H + pad && xx >= pad && xx < W + pad;
            const T v = real ? plane[(y - pad) * W + (xx - pad)] : T(0);
            if (first || v > best) {
              best = v;
              best_i = real ? base + (y - pad) * W + (xx - pad) : kPadding;
              first = false;
            }
          }
        out[ox] = best;
        arg[ox] = best_i;
      };

      if (!rows_inside) {
        for (std::size_t ox = 0; ox < OW; ++ox) border(ox);
        continue;
      }
      for (std::size_t ox = 0; ox < ox_lo; ++ox) border(ox);
      const T* r0 = plane + (y0 - pad) * W;  // the window's top row
      const std::size_t row_base = base + (y0 - pad) * W;
      if (is2x2) {
        for (std::size_t ox = ox_lo; ox < ox_hi; ++ox) arg[ox] = row_base + max2x2(r0, ox * s - pad, W, out[ox]);
      } else {
        for (std::size_t ox = ox_lo; ox < ox_hi; ++ox) {
          const std::size_t j = ox * s - pad;
          T best = r0[j];
          std::size_t best_i = j;
          for (std::size_t ky = 0; ky < ph; ++ky)
            for (std::size_t kx = 0; kx < pw; ++kx) {
              const T v = r0[ky * W + j + kx];
              if (v > best) best = v, best_i = ky * W + j + kx;
            }
          out[ox] = best;
          arg[ox] = row_base + best_i;
        }
      }
      for (std::size_t ox = ox_hi; ox < OW; ++ox) border(ox);
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
