#include "dlfs/nets/layer_net.hpp"

#include <cmath>
#include <stdexcept>

namespace dlfs {

namespace {

// Throws NumericsError at the first NaN/Inf of t: "check-numerics: <what> has NaN (element [i, j])".
template <class T>
void expect_finite(const Tensor<T>& t, const std::string& what) {
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (std::isfinite(t[i])) continue;
    std::string at;
    std::size_t rest = i;
    for (std::size_t d = t.ndim(); d-- > 0;) {
      at = std::to_string(rest % t.shape()[d]) + (at.empty() ? "" : ", ") + at;
      rest /= t.shape()[d];
    }
    throw NumericsError("check-numerics: " + what + " has " + (std::isnan(t[i]) ? "NaN" : "Inf") + " (element [" +
                        at + "])");
  }
}

}  // namespace

template <class T>
Layer<T>& LayerNet<T>::add(std::unique_ptr<Layer<T>> layer, const std::string& suffix, bool decay) {
  if (!layer) throw std::invalid_argument("LayerNet::add: null layer");
  for (Param<T>* p : layer->params()) {
    // The book's names: the layer's W, b, gamma, beta become W1, b1, gamma1, beta1.
    if (decay && p->name == "W") decayed_.push_back(p);
    p->name += suffix;
    for (Param<T>* q : params_)
      if (q->name == p->name) throw std::logic_error("LayerNet::add: two parameters named " + p->name);
    params_.push_back(p);
  }
  for (Buffer<T> b : layer->buffers()) {  // running_mean -> running_mean1, ...
    b.name += suffix;
    buffers_.push_back(b);
  }
  names_.push_back(layer->type() + suffix);
  layers_.push_back(std::move(layer));
  return *layers_.back();
}

template <class T>
void LayerNet<T>::rethrow_named(std::size_t i, const ShapeError& e) const {
  // "Affine: expected ..." from the second Affine reads better as "Affine2: expected ...".
  std::string msg = e.what();
  const std::string type = layers_[i]->type() + ":";
  if (msg.rfind(type, 0) == 0) msg = names_[i] + msg.substr(type.size() - 1);
  else msg = names_[i] + ": " + msg;
  throw ShapeError(msg);
}

template <class T>
const Tensor<T>& LayerNet<T>::forward_from(std::size_t first, const Tensor<T>& in, bool train) {
  const Tensor<T>* out = &in;
  for (std::size_t i = first; i < layers_.size(); ++i) {
    try {
      out = &layers_[i]->forward(*out, train);
    } catch (const ShapeError& e) {
      rethrow_named(i, e);
    }
    if (check_numerics_) expect_finite(*out, names_[i] + " forward output");
  }
  return *out;
}

template <class T>
const Tensor<T>& LayerNet<T>::predict(const Tensor<T>& x, bool train) {
  return forward_from(0, x, train);
}

template <class T>
const Affine<T>* LayerNet<T>::first_affine() const {
  return layers_.empty() ? nullptr : dynamic_cast<const Affine<T>*>(layers_.front().get());
}

template <class T>
bool LayerNet<T>::sparse_input() const {
  const Affine<T>* affine = first_affine();
  return affine && affine->allow_sparse();
}

template <class T>
double LayerNet<T>::sparse_max_density() const {
  const Affine<T>* affine = first_affine();
  return affine ? affine->sparse_max_density() : 0.0;
}

template <class T>
SparseLayout LayerNet<T>::sparse_layout() const {
  const Affine<T>* affine = first_affine();
  return affine ? affine->batch_layout() : SparseLayout::Auto;
}

template <class T>
const Tensor<T>& LayerNet<T>::predict_sparse(std::size_t N, const typename Affine<T>::SparseFill& fill, bool train) {
  Affine<T>* affine = first_affine();
  if (!affine) throw std::logic_error("LayerNet: sparse input needs an Affine first layer, " + this->name() + " has none");
  const Tensor<T>* out = nullptr;
  try {
    out = &affine->forward_sparse(N, fill, train);
  } catch (const ShapeError& e) {
    rethrow_named(0, e);
  }
  if (check_numerics_) expect_finite(*out, names_[0] + " forward output");
  return forward_from(1, *out, train);
}


template <class T>
const Tensor<T>& LayerNet<T>::predict_sparse_rows(const SparseRows<T>& xs, std::size_t first, std::size_t N) {
  Affine<T>* affine = first_affine();
  if (!affine) throw std::logic_error("LayerNet: sparse input needs an Affine first layer, " + this->name() + " has none");
  const Tensor<T>* out = nullptr;
  try {
    out = &affine->forward_sparse_rows(xs, first, N);
  } catch (const ShapeError& e) {
    rethrow_named(0, e);
  }
  if (check_numerics_) expect_finite(*out, names_[0] + " forward output");
  return forward_from(1, *out, false);
}

template <class T>
T LayerNet<T>::loss_of(const Tensor<T>& y, const Tensor<T>& t) {
  if (!last_) throw std::logic_error("LayerNet: no last layer set");
  T l = last_->forward(y, t);
  if (check_numerics_ && !std::isfinite(l))
    throw NumericsError("check-numerics: " + last_->type() + " forward loss is " + (std::isnan(l) ? "NaN" : "Inf"));
  if (weight_decay_lambda_ != T(0)) {
    // 0.5 * lambda * sum(W^2) over every weight matrix (the book's weight_decay term).
    double wd = 0;
    for (Param<T>* p : decayed_)
      for (T w : p->value) wd += static_cast<double>(w) * static_cast<double>(w);
    l += static_cast<T>(0.5 * static_cast<double>(weight_decay_lambda_) * wd);
  }
  return l;
}

template <class T>
T LayerNet<T>::loss(const Tensor<T>& x, const Tensor<T>& t, bool train) {
  if (!last_) throw std::logic_error("LayerNet: no last layer set");
  return loss_of(predict(x, train), t);
}

template <class T>
void LayerNet<T>::backward_all() {
  const Tensor<T>* dout = &last_->backward();  // backward, dout = 1
  if (check_numerics_) expect_finite(*dout, last_->type() + " backward dx");
  for (std::size_t i = layers_.size(); i-- > 0;) {
    dout = &layers_[i]->backward(*dout);
    if (!check_numerics_) continue;
    if (layers_[i]->need_dx()) expect_finite(*dout, names_[i] + " backward dx");
    for (Param<T>* p : layers_[i]->params()) expect_finite(p->grad, names_[i] + " backward gradient of " + p->name);
  }
  // d/dW of 0.5 * lambda * W^2
  if (weight_decay_lambda_ != T(0))
    for (Param<T>* p : decayed_)
      for (std::size_t i = 0; i < p->value.size(); ++i) p->grad[i] += weight_decay_lambda_ * p->value[i];
}

template <class T>
T LayerNet<T>::gradient(const Tensor<T>& x, const Tensor<T>& t) {
  // x lives until this call returns, past the backward: the first layer need not copy it.
  if (Affine<T>* a = first_affine()) a->hint_next_forward_borrow();
  const T l = loss(x, t, true);  // forward
  backward_all();
  return l;
}

template <class T>
T LayerNet<T>::gradient_sparse(std::size_t N, const typename Affine<T>::SparseFill& fill, const Tensor<T>& t) {
  if (!last_) throw std::logic_error("LayerNet: no last layer set");
  const T l = loss_of(predict_sparse(N, fill, true), t);
  backward_all();
  return l;
}

template class LayerNet<float>;
template class LayerNet<double>;

}  // namespace dlfs
