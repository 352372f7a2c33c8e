#include "dlfs/nets/two_layer_net_ch4.hpp"

#include <cmath>
#include <stdexcept>

#include "dlfs/functions.hpp"
#include "dlfs/layers/fault.hpp"
#include "dlfs/linalg.hpp"
#include "dlfs/rng.hpp"

namespace dlfs {

namespace {

// out(N, D) += b(D) on every row.
template <class T>
void add_row_vector(Tensor<T>& out, const Tensor<T>& b) {
  const std::size_t n = out.dim(0), d = out.dim(1);
  for (std::size_t i = 0; i < n; ++i) {
    T* r = out.data() + i * d;
    for (std::size_t j = 0; j < d; ++j) r[j] += b[j];
  }
}

// db(D) = column sums of d(N, D): np.sum(d, axis=0).
template <class T>
void sum_rows(const Tensor<T>& d, Tensor<T>& db) {
  const std::size_t n = d.dim(0), m = d.dim(1);
  db.fill(T(0));
  for (std::size_t i = 0; i < n; ++i) {
    const T* r = d.data() + i * m;
    for (std::size_t j = 0; j < m; ++j) db[j] += r[j];
  }
}

template <class T>
Tensor<T> init_weight(std::size_t rows, std::size_t cols, double std_dev, Rng& rng) {
  Tensor<T> w({rows, cols});
  for (auto& v : w) v = static_cast<T>(std_dev * rng.normal());  // weight_init_std * np.random.randn
  return w;
}

}  // namespace

template <class T>
TwoLayerNetCh4<T>::TwoLayerNetCh4(std::size_t input_size, std::size_t hidden_size, std::size_t output_size,
                                  double weight_init_std, std::uint64_t seed)
    : input_size_(input_size), hidden_size_(hidden_size), output_size_(output_size), weight_init_std_(weight_init_std) {
  if (input_size == 0 || hidden_size == 0 || output_size == 0)
    throw std::invalid_argument("two-layer-sigmoid: input_size, hidden_size and output_size must be positive, got " +
                                std::to_string(input_size) + ", " + std::to_string(hidden_size) + ", " +
                                std::to_string(output_size));
  if (!(std::isfinite(weight_init_std) && weight_init_std > 0))
    throw std::invalid_argument("two-layer-sigmoid: weight_init_std must be a positive number, got " +
                                std::to_string(weight_init_std));
  Rng rng(seed);
  W1_ = Param<T>("W1", init_weight<T>(input_size, hidden_size, weight_init_std, rng));  // (D, H)
  b1_ = Param<T>("b1", Tensor<T>({hidden_size}));                                         // (H,)
  W2_ = Param<T>("W2", init_weight<T>(hidden_size, output_size, weight_init_std, rng));  // (H, C)
  b2_ = Param<T>("b2", Tensor<T>({output_size}));                                         // (C,)
}

template <class T>
void TwoLayerNetCh4<T>::check_x(const Tensor<T>& x, const char* method) const {
  if (x.ndim() != 2 || x.dim(1) != input_size_)
    throw ShapeError(std::string("two-layer-sigmoid ") + method + ": expected x of shape (N, " +
                     std::to_string(input_size_) + "), got " + shape_str(x.shape()));
}

template <class T>
const Tensor<T>& TwoLayerNetCh4<T>::predict(const Tensor<T>& x, bool /*train*/) {
  check_x(x, "predict");
  matmul_into(x, W1_.value, a1_);  // a1 = x W1 + b1       (N, H)
  add_row_vector(a1_, b1_.value);
  sigmoid_into(a1_, z1_);          // z1 = sigmoid(a1)     (N, H)
  matmul_into(z1_, W2_.value, a2_);  // a2 = z1 W2 + b2    (N, C)
  add_row_vector(a2_, b2_.value);
  return a2_;
}

template <class T>
T TwoLayerNetCh4<T>::forward_loss(const Tensor<T>& x, const Tensor<T>& t, const char* method) {
  check_x(x, method);
  // Checked before the forward pass so a wrong t costs nothing and the message names the method.
  targets_are_one_hot({x.dim(0), output_size_}, t.shape(), std::string("two-layer-sigmoid ") + method);
  predict(x);
  softmax_into(a2_, y_);  // y = softmax(a2)              (N, C)
  return cross_entropy_error(y_, t);
}

template <class T>
T TwoLayerNetCh4<T>::loss(const Tensor<T>& x, const Tensor<T>& t, bool /*train*/) {
  return forward_loss(x, t, "loss");
}

template <class T>
T TwoLayerNetCh4<T>::gradient(const Tensor<T>& x, const Tensor<T>& t) {
  const T loss_value = forward_loss(x, t, "gradient");
  const std::size_t batch_num = x.dim(0), C = output_size_;
  const bool one_hot = t.shape() == y_.shape();

  // dy = (y - t) / batch_num                                (N, C)
  dy_.resize(y_.shape());
  const T inv_n = T(1) / static_cast<T>(batch_num);
  for (std::size_t i = 0; i < y_.size(); ++i) dy_[i] = (one_hot ? y_[i] - t[i] : y_[i]) * inv_n;
  if (!one_hot)  // loss already validated the indices
    for (std::size_t i = 0; i < batch_num; ++i) dy_[i * C + static_cast<std::size_t>(t[i])] -= inv_n;

  matmul_into(z1_, dy_, W2_.grad, Trans::Yes);         // W2 = z1^T dy          (H, C)
  sum_rows(dy_, b2_.grad);                             // b2 = sum(dy, axis=0)  (C,)
  matmul_into(dy_, W2_.value, da1_, Trans::No, Trans::Yes);  // da1 = dy W2^T   (N, H)
  // dz1 = sigmoid_grad(a1) * da1, with sigmoid_grad(a1) = (1 - z1) z1 from the cached z1.
  // The global test-only switch (dlfs gradcheck --inject-fault sigmoid-grad) drops the (1 - y)
  // factor, as it does in the Sigmoid layer.
  const bool drop_one_minus_y = injected_fault() == Fault::SigmoidGrad;
  if (!fault_)
    for (std::size_t i = 0; i < da1_.size(); ++i) da1_[i] *= (drop_one_minus_y ? T(1) : T(1) - z1_[i]) * z1_[i];
  matmul_into(x, da1_, W1_.grad, Trans::Yes);          // W1 = x^T dz1          (D, H)
  sum_rows(da1_, b1_.grad);                            // b1 = sum(dz1, axis=0) (H,)
  return loss_value;
}

template <class T>
nlohmann::json TwoLayerNetCh4<T>::config() const {
  return {{"net", name()},
          {"input_size", input_size_},
          {"hidden_size", hidden_size_},
          {"output_size", output_size_},
          {"weight_init_std", weight_init_std_}};
}

template class TwoLayerNetCh4<float>;
template class TwoLayerNetCh4<double>;

}  // namespace dlfs
