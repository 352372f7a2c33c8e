#include "dlfs/layers/batch_norm.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace dlfs {

namespace {
// The book writes `np.sqrt(var + 10e-7)`: 10e-7 is 1e-6, not 1e-7. Kept exactly, so running
// statistics and outputs match the book's code.
constexpr double kEps = 10e-7;

std::string num_str(double v) {  // 0.5, not 0.500000
  std::ostringstream os;
  os << v;
  return os.str();
}
}  // namespace

template <class T>
BatchNormalization<T>::BatchNormalization(std::size_t features, double momentum)
    : D_(features),
      momentum_(momentum),
      gamma_("gamma", Tensor<T>({features}, T(1))),
      beta_("beta", Tensor<T>({features})),
      running_mean_({features}),
      running_var_({features}) {
  if (features == 0) throw std::invalid_argument("BatchNormalization: features must be > 0, got 0");
  if (!(momentum >= 0 && momentum <= 1))
    throw std::invalid_argument("BatchNormalization: momentum must be in [0, 1], got " + num_str(momentum));
}

template <class T>
const Tensor<T>& BatchNormalization<T>::forward(const Tensor<T>& x, bool train) {
  const std::size_t D = D_;
  const bool ok_rank = x.ndim() == 2 || x.ndim() == 4;
  if (!ok_rank || x.dim(0) == 0 || x.size() / x.dim(0) != D) {
    std::string got = shape_str(x.shape());
    if (x.ndim() == 4 && x.dim(0) != 0) got += " = " + shape_str({x.dim(0), x.size() / x.dim(0)}) + " flattened";
    throw ShapeError("BatchNormalization: expected input (N, " + std::to_string(D) + ") or (N, C, H, W) with C*H*W = " +
                     std::to_string(D) + ", got " + got);
  }
  // x.reshape(N, -1): the data is already laid out as (N, D).
  const std::size_t N = x.dim(0);
  input_shape_ = x.shape();
  batch_size_ = N;
  xc_.resize({N, D});
  xn_.resize({N, D});
  std_.resize({D});
  out_.resize(x.shape());
  const T* px = x.data();
  T* xc = xc_.data();
  T* xn = xn_.data();
  T* sd = std_.data();

  if (train) {
    mu_.resize({D});
    var_.resize({D});
    T* mu = mu_.data();
    T* var = var_.data();
    const T invN = T(1) / static_cast<T>(N);
    // mu = x.mean(axis=0)                                       // (D,)
    std::fill(mu, mu + D, T(0));
    for (std::size_t n = 0; n < N; ++n)
      for (std::size_t j = 0; j < D; ++j) mu[j] += px[n * D + j];
    for (std::size_t j = 0; j < D; ++j) mu[j] *= invN;
    // xc = x - mu; var = np.mean(xc**2, axis=0)                 // (N, D), (D,)
    std::fill(var, var + D, T(0));
    for (std::size_t n = 0; n < N; ++n)
      for (std::size_t j = 0; j < D; ++j) {
        const T c = px[n * D + j] - mu[j];
        xc[n * D + j] = c;
        var[j] += c * c;
      }
    for (std::size_t j = 0; j < D; ++j) {
      var[j] *= invN;
      sd[j] = std::sqrt(var[j] + static_cast<T>(kEps));  // std = np.sqrt(var + 10e-7)
    }
    // running = momentum * running + (1 - momentum) * batch
    const T m = static_cast<T>(momentum_), m1 = static_cast<T>(1 - momentum_);
    T* rm = running_mean_.data();
    T* rv = running_var_.data();
    for (std::size_t j = 0; j < D; ++j) {
      rm[j] = m * rm[j] + m1 * mu[j];
      rv[j] = m * rv[j] + m1 * var[j];
    }
  } else {
    // xc = x - running_mean; xn = xc / np.sqrt(running_var + 10e-7)
    const T* rm = running_mean_.data();
    const T* rv = running_var_.data();
    for (std::size_t j = 0; j < D; ++j) sd[j] = std::sqrt(rv[j] + static_cast<T>(kEps));
    for (std::size_t n = 0; n < N; ++n)
      for (std::size_t j = 0; j < D; ++j) xc[n * D + j] = px[n * D + j] - rm[j];
  }

  // xn = xc / std; out = gamma * xn + beta                     // (N, D)
  // (multiplying by 1/std: one division per feature instead of one per element)
  inv_std_.resize({D});
  T* inv_std = inv_std_.data();
  for (std::size_t j = 0; j < D; ++j) inv_std[j] = T(1) / sd[j];
  const T* g = gamma_.value.data();
  const T* b = beta_.value.data();
  T* out = out_.data();
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t j = 0; j < D; ++j) {
      const T v = xc[n * D + j] * inv_std[j];
      xn[n * D + j] = v;
      out[n * D + j] = g[j] * v + b[j];
    }
  mode_ = train ? Mode::Train : Mode::Test;
  return out_;  // out.reshape(*input_shape)
}

template <class T>
const Tensor<T>& BatchNormalization<T>::backward(const Tensor<T>& dout) {
  if (mode_ == Mode::None) throw std::runtime_error("BatchNormalization: backward called before forward");
  expect_shape(dout.shape(), input_shape_, "BatchNormalization backward: dout");
  const std::size_t N = batch_size_, D = D_;
  const T* d = dout.data();
  const T* xc = xc_.data();
  const T* xn = xn_.data();
  const T* gamma = gamma_.value.data();
  T* dgamma = gamma_.grad.data();
  T* dbeta = beta_.grad.data();
  dsum_.resize({D});
  T* s = dsum_.data();  // sum over the batch of dout * xc, for dstd

  // dbeta = dout.sum(axis=0); dgamma = np.sum(xn * dout, axis=0)   // (D,)
  std::fill(dbeta, dbeta + D, T(0));
  std::fill(dgamma, dgamma + D, T(0));
  std::fill(s, s + D, T(0));
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t j = 0; j < D; ++j) {
      const T dd = d[n * D + j];
      dbeta[j] += dd;
      dgamma[j] += xn[n * D + j] * dd;
      s[j] += xc[n * D + j] * dd;
    }

  if (!this->need_dx()) {
    dx_.resize({0});
    return dx_;
  }
  dx_.resize(input_shape_);
  T* dx = dx_.data();
  const T* inv_std = inv_std_.data();

  if (mode_ == Mode::Test) {
    // The statistics are constants here: dx = dxn / std = gamma * dout / std.
    for (std::size_t n = 0; n < N; ++n)
      for (std::size_t j = 0; j < D; ++j) dx[n * D + j] = gamma[j] * inv_std[j] * d[n * D + j];
    return dx_;
  }

  // The book's steps, per feature j (dxn = gamma * dout is never stored):
  //   dxc  = dxn / std
  //   dstd = -np.sum((dxn * xc) / (std * std), axis=0)   = -gamma * s / std^2
  //   dvar = 0.5 * dstd / std
  //   dxc += (2.0 / batch_size) * xc * dvar
  //   dmu  = np.sum(dxc, axis=0)
  //   dx   = dxc - dmu / batch_size
  // so dxc = a * dout + c * xc, with a = gamma / std and c = (2 / N) * dvar per feature.
  coef_a_.resize({D});
  coef_c_.resize({D});
  dmu_.resize({D});
  T* a = coef_a_.data();
  T* c = coef_c_.data();
  T* dmu = dmu_.data();
  const T twoN = T(2) / static_cast<T>(N);
  for (std::size_t j = 0; j < D; ++j) {
    const T dstd = -gamma[j] * s[j] * inv_std[j] * inv_std[j];
    const T dvar = T(0.5) * dstd * inv_std[j];
    a[j] = gamma[j] * inv_std[j];
    c[j] = twoN * dvar;
    dmu[j] = T(0);
  }
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t j = 0; j < D; ++j) {
      const T v = a[j] * d[n * D + j] + c[j] * xc[n * D + j];  // dxc
      dx[n * D + j] = v;
      dmu[j] += v;
    }
  const T invN = T(1) / static_cast<T>(N);
  for (std::size_t j = 0; j < D; ++j) dmu[j] *= invN;
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t j = 0; j < D; ++j) dx[n * D + j] -= dmu[j];  // dx = dxc - dmu / N
  return dx_;  // dx.reshape(*input_shape)
}

template class BatchNormalization<float>;
template class BatchNormalization<double>;

}  // namespace dlfs
