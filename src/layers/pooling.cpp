#include "dlfs/layers/pooling.hpp"

#include <algorithm>
#include <stdexcept>
#include <type_traits>

#include "dlfs/linalg.hpp"
#include "dlfs/parallel.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// Four neighbouring 2x2 windows with stride 2 at once (float, SSE2, which every x86-64 has): the
// same comparisons as max2x2, as lane masks. Reads r0[j .. j+7] and the row below; writes
// out[0..3] and arg[0..3] (offsets row_base + ...). Returns false where SSE2 is unavailable.
inline bool max2x2_stride2_x4(const float* r0, std::size_t j, std::size_t W, std::size_t row_base, float* out,
                              std::uint32_t* arg) {
#if defined(__SSE2__)
  auto blend = [](__m128 m, __m128 yes, __m128 no) { return _mm_or_ps(_mm_and_ps(m, yes), _mm_andnot_ps(m, no)); };
  auto blendi = [](__m128i m, __m128i yes, __m128i no) {
    return _mm_or_si128(_mm_and_si128(m, yes), _mm_andnot_si128(m, no));
  };
  const float* r1 = r0 + W;
  const __m128 t0 = _mm_loadu_ps(r0 + j), t1 = _mm_loadu_ps(r0 + j + 4);  // a0 b0 a1 b1 | a2 b2 a3 b3
  const __m128 u0 = _mm_loadu_ps(r1 + j), u1 = _mm_loadu_ps(r1 + j + 4);
  const __m128 a = _mm_shuffle_ps(t0, t1, _MM_SHUFFLE(2, 0, 2, 0)), b = _mm_shuffle_ps(t0, t1, _MM_SHUFFLE(3, 1, 3, 1));
  const __m128 c = _mm_shuffle_ps(u0, u1, _MM_SHUFFLE(2, 0, 2, 0)), d = _mm_shuffle_ps(u0, u1, _MM_SHUFFLE(3, 1, 3, 1));
  const __m128 ab = _mm_cmpgt_ps(b, a), cd = _mm_cmpgt_ps(d, c);
  const __m128 top = blend(ab, b, a), bottom = blend(cd, d, c);
  const __m128 lower = _mm_cmpgt_ps(bottom, top);  // strict: on a tie the top row came first
  const int first = static_cast<int>(row_base + j);  // 32-bit offsets, checked by the caller
  const __m128i ia = _mm_setr_epi32(first, first + 2, first + 4, first + 6);
  const __m128i one = _mm_set1_epi32(1);
  const __m128i top_i = _mm_add_epi32(ia, _mm_and_si128(_mm_castps_si128(ab), one));
  const __m128i bottom_i =
      _mm_add_epi32(_mm_add_epi32(ia, _mm_set1_epi32(static_cast<int>(W))), _mm_and_si128(_mm_castps_si128(cd), one));
  _mm_storeu_ps(out, blend(lower, bottom, top));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(arg), blendi(_mm_castps_si128(lower), bottom_i, top_i));
  return true;
#else
  return false;
#endif
}

// fn(first, last) over the planes [0, planes), split between dlfs's threads when there are
// enough values (each plane's outputs are the same whichever thread computes them).
template <class F>
void for_planes(std::size_t planes, std::size_t values_per_plane, F&& fn) {
  constexpr std::size_t kMinPerTask = std::size_t(1) << 16;
  const int tasks =
      static_cast<int>(std::min<std::size_t>({std::size_t(num_threads()), planes, planes * values_per_plane / kMinPerTask}));
  if (tasks <= 1) {
    fn(std::size_t(0), planes);
    return;
  }
  parallel_tasks(tasks, [&](int t) {
    std::size_t b, e;
    split_range(planes, tasks, t, b, e);
    fn(b, e);
  });
}

}  // namespace

template <class T>
const Tensor<T>& Pooling<T>::forward(const Tensor<T>& x, bool /*train*/) {
  g_ = conv_geometry(x.shape(), pool_h_, pool_w_, stride_, pad_, "Pooling");
  const std::size_t H = g_.H, W = g_.W, OH = g_.out_h, OW = g_.out_w, s = stride_, pad = pad_;
  const std::size_t ph = pool_h_, pw = pool_w_;
  out_.resize({g_.N, g_.C, OH, OW});
  // Offsets within a plane are 32-bit (half the memory traffic of size_t; this layer is bound by
  // memory, not arithmetic).
  if (H * W >= kPadding)
    throw ShapeError("Pooling: a " + std::to_string(H) + "x" + std::to_string(W) + " feature map is too large");
  arg_max_.resize(out_.size());
  // Columns [ox_lo, ox_hi) hold windows that lie on real pixels horizontally; rows are tested
  // once per output row. Only the border windows pay for bounds tests.
  const std::size_t ox_lo = std::min(OW, (pad + s - 1) / s);
  const std::size_t ox_hi = std::max(ox_lo, W + pad >= pw ? std::min(OW, (W + pad - pw) / s + 1) : 0);
  const bool is2x2 = ph == 2 && pw == 2;

  for_planes(g_.N * g_.C, H * W, [&](std::size_t q0, std::size_t q1) {
  for (std::size_t q = q0; q < q1; ++q) {  // one (n, c) plane at a time
    const std::size_t base = q * H * W;
    const T* plane = x.data() + base;
    for (std::size_t oy = 0; oy < OH; ++oy) {
      T* out = out_.data() + (q * OH + oy) * OW;
      std::uint32_t* arg = arg_max_.data() + (q * OH + oy) * OW;
      const std::size_t y0 = oy * s;  // top edge, padded coordinates
      const bool rows_inside = y0 >= pad && y0 + ph <= H + pad;

      // A window over the border: padded cells count as 0, scanned in row-major order.
      auto border = [&](std::size_t ox) {
        const std::size_t x0 = ox * s;
        bool first = true;
        T best = T(0);
        std::uint32_t best_i = kPadding;
        for (std::size_t ky = 0; ky < ph; ++ky)
          for (std::size_t kx = 0; kx < pw; ++kx) {
            const std::size_t y = y0 + ky, xx = x0 + kx;
            const bool real = y >= pad && y < H + pad && xx >= pad && xx < W + pad;
            const T v = real ? plane[(y - pad) * W + (xx - pad)] : T(0);
            if (first || v > best) {
              best = v;
              best_i = real ? static_cast<std::uint32_t>((y - pad) * W + (xx - pad)) : kPadding;
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
      const std::size_t row_base = (y0 - pad) * W;
      if (is2x2) {
        std::size_t ox = ox_lo;
        if constexpr (std::is_same_v<T, float>) {
          if (s == 2)
            for (; ox + 4 <= ox_hi; ox += 4)
              if (!max2x2_stride2_x4(r0, ox * 2 - pad, W, row_base, out + ox, arg + ox)) break;
        }
        for (; ox < ox_hi; ++ox)
          arg[ox] = static_cast<std::uint32_t>(row_base + max2x2(r0, ox * s - pad, W, out[ox]));
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
          arg[ox] = static_cast<std::uint32_t>(row_base + best_i);
        }
      }
      for (std::size_t ox = ox_hi; ox < OW; ++ox) border(ox);
    }
  }
  });
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
  const std::size_t planes = g_.N * g_.C, H = g_.H, W = g_.W, HW = H * W, OH = g_.out_h, OW = g_.out_w,
                    OHW = OH * OW;
  // Zero-fill, then += because windows overlap when stride < pool size.
  for_planes(planes, HW, [&](std::size_t q0, std::size_t q1) {
    std::fill(dx_.data() + q0 * HW, dx_.data() + q1 * HW, T(0));
    for (std::size_t q = q0; q < q1; ++q) {
      T* plane = dx_.data() + q * HW;
      const std::uint32_t* arg = arg_max_.data() + q * OHW;
      const T* d = dout.data() + q * OHW;
      for (std::size_t i = 0; i < OHW; ++i)
        if (arg[i] != kPadding) plane[arg[i]] += d[i];
    }
  });
  return dx_;
}

template class Pooling<float>;
template class Pooling<double>;

}  // namespace dlfs
