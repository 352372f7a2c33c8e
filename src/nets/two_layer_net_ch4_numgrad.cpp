// TwoLayerNetCh4::numerical_gradient: the book's central differences (every element of W1, b1,
// W2, b2 set to w + h and to w - h, h = 1e-4, the loss evaluated again at each, grad =
// (f(w + h) - f(w - h)) / 2h), computed from the cached forward pass instead of two full passes
// per element:
//   * W1[k][j] only enters hidden unit j, through x[n][k] * W1[k][j]: rows n with x[n][k] == 0 see
//     no change at all (0 * w is 0 for any w), so only the other rows' losses are recomputed,
//     each from a1[n][j] -> z = sigmoid(a1) -> scores a2[n] + (z' - z) W2[j] -> softmax -> loss.
//   * b1[j] is W1's case with x = 1 for every row.
//   * W2[j][c] and b2[c] only move score c of each row.
// Rows whose loss does not change cancel exactly in f(w + h) - f(w - h) instead of up to the
// rounding of two full sums, so this is the book's quantity with less rounding noise; against
// Net::numerical_gradient (the book's loop) it differs only by rounding (tests assert it).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "dlfs/functions.hpp"
#include "dlfs/nets/two_layer_net_ch4.hpp"
#include "dlfs/parallel.hpp"
#include "dlfs/linalg.hpp"

namespace dlfs {

namespace {

// As functions.cpp's sigmoid (exp of a non-positive number only).
template <class T>
T sigmoid1(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}

// One row's cross_entropy_error(softmax(a)) term, -sum_c t_c log(y_c + 1e-7), with softmax as
// functions.cpp computes it (max subtracted, exp, divided by the sum). y: scratch (C).
template <class T>
T row_loss(const T* a, std::size_t C, std::size_t label, const T* one_hot, T* y) {
  const T mx = *std::max_element(a, a + C);
  T sum = 0;
  for (std::size_t c = 0; c < C; ++c) sum += (y[c] = std::exp(a[c] - mx));
  const T delta = T(1e-7);
  if (!one_hot) return -std::log(y[label] / sum + delta);
  T s = 0;
  for (std::size_t c = 0; c < C; ++c) s += one_hot[c] * std::log(y[c] / sum + delta);
  return -s;
}

}  // namespace

template <class T>
T TwoLayerNetCh4<T>::numerical_gradient(const Tensor<T>& x, const Tensor<T>& t) {
  // Caches a1 = x W1 + b1, z1 = sigmoid(a1), a2 = z1 W2 + b2 (and checks x and t).
  const T loss0 = forward_loss(x, t, "numerical_gradient");
  const std::size_t N = x.dim(0), D = input_size_, H = hidden_size_, C = output_size_;
  const bool one_hot = t.ndim() == 2;
  std::vector<std::size_t> label(N, 0);
  if (!one_hot)
    for (std::size_t n = 0; n < N; ++n) label[n] = class_index(t, n, C, "two-layer-sigmoid numerical_gradient");
  auto target = [&](std::size_t n) -> const T* { return one_hot ? t.data() + n * C : nullptr; };

  // The non-zeros of each column k of x: the rows a change in W1[k][.] reaches.
  std::vector<std::size_t> col_start(D + 1, 0);
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t k = 0; k < D; ++k) col_start[k + 1] += x(n, k) != T(0);
  for (std::size_t k = 0; k < D; ++k) col_start[k + 1] += col_start[k];
  std::vector<std::uint32_t> col_row(col_start[D]);
  std::vector<T> col_val(col_start[D]);
  {
    std::vector<std::size_t> fill(col_start.begin(), col_start.end() - 1);
    for (std::size_t n = 0; n < N; ++n)
      for (std::size_t k = 0; k < D; ++k)
        if (x(n, k) != T(0)) {
          col_row[fill[k]] = static_cast<std::uint32_t>(n);
          col_val[fill[k]++] = x(n, k);
        }
  }

  const T h = T(1e-4);
  const T two_h = 2 * h;
  const T inv_n = T(1) / static_cast<T>(N);
  const T* a1 = a1_.data();
  const T* z1 = z1_.data();
  const T* a2 = a2_.data();

  // (f(w + h) - f(w - h)) / 2h for one weight w: the perturbed values are formed exactly as the
  // book's loop forms them (tmp_val + h in T). Only `count` rows can change: row_of(i) is the i-th
  // of them and scores_with(i, dw, out) writes its scores with the weight moved by dw.
  auto central = [&](T w, std::size_t count, auto&& row_of, auto&& scores_with, T* ap, T* am, T* y) {
    const T dp = static_cast<T>(w + h) - w, dm = static_cast<T>(w - h) - w;
    T diff = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t n = row_of(i);
      scores_with(i, dp, ap);
      scores_with(i, dm, am);
      diff += row_loss(ap, C, label[n], target(n), y) - row_loss(am, C, label[n], target(n), y);
    }
    return diff * inv_n / two_h;
  };

  // Hidden units are independent: threads take ranges of j (each element is computed by the
  // same code whichever thread runs it, so the result does not depend on the thread count).
  const int tasks = static_cast<int>(std::min<std::size_t>(std::size_t(num_threads()), H));
  parallel_tasks(tasks, [&](int task) {
    std::size_t j0, j1;
    split_range(H, tasks, task, j0, j1);
    std::vector<T> scratch(3 * C);
    T *ap = scratch.data(), *am = ap + C, *y = am + C;
    for (std::size_t j = j0; j < j1; ++j) {
      const T* w2 = W2_.value.data() + j * C;
      // Row n's scores when a1[n][j] moves by da: a2[n] + (sigmoid(a1 + da) - z1) W2[j].
      auto hidden_scores = [&](std::size_t n, T da, T* out) {
        const T dz = sigmoid1(a1[n * H + j] + da) - z1[n * H + j];
        for (std::size_t c = 0; c < C; ++c) out[c] = a2[n * C + c] + dz * w2[c];
      };
      for (std::size_t k = 0; k < D; ++k) {  // W1[k][j]: rows with x[n][k] != 0
        const std::size_t b = col_start[k];
        W1_.grad[k * H + j] = central(
            W1_.value[k * H + j], col_start[k + 1] - b, [&](std::size_t i) { return std::size_t(col_row[b + i]); },
            [&](std::size_t i, T dw, T* out) { hidden_scores(col_row[b + i], col_val[b + i] * dw, out); }, ap, am, y);
      }
      b1_.grad[j] = central(  // b1[j]: every row, as if x were 1
          b1_.value[j], N, [](std::size_t i) { return i; },
          [&](std::size_t n, T dw, T* out) { hidden_scores(n, dw, out); }, ap, am, y);
      for (std::size_t c = 0; c < C; ++c)  // W2[j][c]: score c of every row moves by z1[n][j] dw
        W2_.grad[j * C + c] = central(
            W2_.value[j * C + c], N, [](std::size_t i) { return i; },
            [&](std::size_t n, T dw, T* out) {
              std::copy(a2 + n * C, a2 + (n + 1) * C, out);
              out[c] += z1[n * H + j] * dw;
            },
            ap, am, y);
    }
    if (task == 0)
      for (std::size_t c = 0; c < C; ++c)  // b2[c]: score c of every row moves by dw
        b2_.grad[c] = central(
            b2_.value[c], N, [](std::size_t i) { return i; },
            [&](std::size_t n, T dw, T* out) {
              std::copy(a2 + n * C, a2 + (n + 1) * C, out);
              out[c] += dw;
            },
            ap, am, y);
  });
  return loss0;
}

template float TwoLayerNetCh4<float>::numerical_gradient(const Tensor<float>&, const Tensor<float>&);
template double TwoLayerNetCh4<double>::numerical_gradient(const Tensor<double>&, const Tensor<double>&);

}  // namespace dlfs
