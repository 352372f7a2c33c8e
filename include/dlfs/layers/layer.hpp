// The layer interface of chapter 5: forward caches what backward needs, backward returns dx and
// fills the gradients of the layer's own parameters. Every layer keeps its output and dx in its
// own buffers and hands out references to them, so a training step allocates nothing.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "dlfs/tensor.hpp"

namespace dlfs {

// A trainable parameter: its value and, next to it, its gradient (same shape).
template <class T>
struct Param {
  std::string name;  // the book's name once a net owns it: W1, b1, gamma1, ...
  Tensor<T> value;
  Tensor<T> grad;
  Param() = default;
  Param(std::string n, Tensor<T> v) : name(std::move(n)), value(std::move(v)), grad(value.shape()) {}
};

// A named, non-trainable tensor that belongs in a model file (batch norm's running mean/var).
template <class T>
struct Buffer {
  std::string name;
  Tensor<T>* tensor;
};

template <class T>
class Layer {
 public:
  virtual ~Layer() = default;
  // "Affine", "Relu", ... (used in error messages and model files)
  virtual std::string type() const = 0;
  // train selects training behaviour (dropout masks, batch statistics); false is inference.
  virtual const Tensor<T>& forward(const Tensor<T>& x, bool train) = 0;
  // dout has the shape of the last forward output; returns dx with the shape of its input.
  virtual const Tensor<T>& backward(const Tensor<T>& dout) = 0;
  virtual std::vector<Param<T>*> params() { return {}; }
  virtual std::vector<Buffer<T>> buffers() { return {}; }
  // The first layer of a net need not compute dx (nobody reads it); nets switch it off there.
  void set_need_dx(bool need) { need_dx_ = need; }
  bool need_dx() const { return need_dx_; }

 protected:
  bool need_dx_ = true;
};

// The last layer: takes scores and targets, returns the loss. Targets follow the book: a 1-D
// tensor of class indices, or a 2-D one-hot tensor with the scores' shape.
template <class T>
class LossLayer {
 public:
  virtual ~LossLayer() = default;
  virtual std::string type() const = 0;
  virtual T forward(const Tensor<T>& x, const Tensor<T>& t) = 0;
  // d loss / d x, for dout = 1 as in the book.
  virtual const Tensor<T>& backward() = 0;
  // The output probabilities of the last forward (softmax of the scores).
  virtual const Tensor<T>& output() const = 0;
};

}  // namespace dlfs
