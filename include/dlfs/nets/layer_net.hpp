// A net that is an ordered list of layers plus a last (loss) layer: chapter 5's TwoLayerNet,
// MultiLayerNet(Extend), SimpleConvNet and DeepConvNet are all this class, differing only in the
// layers their constructors append. One predict/loss/gradient loop serves them all.
#pragma once
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "dlfs/layers/affine.hpp"
#include "dlfs/nets/net.hpp"

namespace dlfs {

// Thrown by --check-numerics when a layer produces NaN or Inf; the message names the layer and
// the tensor ("check-numerics: Affine2 forward output has NaN (element [3, 7])").
class NumericsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <class T>
class LayerNet : public Net<T> {
 public:
  const Tensor<T>& predict(const Tensor<T>& x, bool train = false) override;
  T loss(const Tensor<T>& x, const Tensor<T>& t, bool train = true) override;
  T gradient(const Tensor<T>& x, const Tensor<T>& t) override;
  std::vector<Param<T>*> params() override { return params_; }

  // Sparse input (see Affine::forward_sparse) for nets whose first layer is an Affine: the
  // trainer hands over mostly-zero batches (MNIST digits) as their non-zeros, read straight from
  // the dataset's bytes. sparse_input() is false for the other nets; the two calls below then
  // throw std::logic_error. They compute exactly what predict() and gradient() compute when the
  // first Affine takes its sparse path.
  bool sparse_input() const;
  // The first Affine's sparse_max_density() (0 without one): batches at most this dense go sparse.
  double sparse_max_density() const;
  // The first Affine's batch_layout(): how a set compressed once for predict_sparse_rows is best
  // kept (SparseLayout::Columns: in blocks of at most 128 rows).
  SparseLayout sparse_layout() const;
  const Tensor<T>& predict_sparse(std::size_t N, const typename Affine<T>::SparseFill& fill, bool train = false);
  // Inference on rows [first, first + N) of a set compressed once (Affine::forward_sparse_rows).
  const Tensor<T>& predict_sparse_rows(const SparseRows<T>& xs, std::size_t first, std::size_t N);
  T gradient_sparse(std::size_t N, const typename Affine<T>::SparseFill& fill, const Tensor<T>& t);
  // The caller counted the next input's non-zeros (on the bytes it converts) and found them
  // above sparse_max_density(): the first Affine skips counting them again (one forward only).
  void next_input_is_dense() {
    if (Affine<T>* a = first_affine()) a->hint_next_forward_dense();
  }
  std::vector<Buffer<T>> buffers() override { return buffers_; }

  const std::vector<std::unique_ptr<Layer<T>>>& layers() const { return layers_; }
  // The book's name of layers()[i]: its type plus the suffix it was added with ("Affine1").
  const std::string& layer_name(std::size_t i) const { return names_.at(i); }
  LossLayer<T>& last_layer() { return *last_; }
  T weight_decay_lambda() const { return weight_decay_lambda_; }
  // Debugging aid: when on, every layer's forward output, backward dx and parameter gradients are
  // scanned for NaN/Inf, and the first one throws NumericsError naming the layer and tensor.
  // Off by default: the scan is one extra pass over every activation.
  void set_check_numerics(bool on) { check_numerics_ = on; }
  bool check_numerics() const { return check_numerics_; }

 protected:
  // Appends a layer and gives its parameters and buffers the book's names: suffix "1" turns the
  // layer's W, b into W1, b1 (gamma1/beta1 for batch norm). decay marks the weights that weight
  // decay penalises (W, not b or gamma).
  Layer<T>& add(std::unique_ptr<Layer<T>> layer, const std::string& suffix = "", bool decay = false);
  void set_last(std::unique_ptr<LossLayer<T>> last) { last_ = std::move(last); }
  T weight_decay_lambda_ = T(0);

 private:
  // The first layer as an Affine, or null (the layer that can take sparse input).
  const Affine<T>* first_affine() const;
  Affine<T>* first_affine() { return const_cast<Affine<T>*>(std::as_const(*this).first_affine()); }
  // Layers [first, end) on `in` (the output of layer first - 1, or the net's input).
  const Tensor<T>& forward_from(std::size_t first, const Tensor<T>& in, bool train);
  T loss_of(const Tensor<T>& y, const Tensor<T>& t);
  void backward_all();
  [[noreturn]] void rethrow_named(std::size_t i, const ShapeError& e) const;

  std::vector<std::unique_ptr<Layer<T>>> layers_;
  std::vector<std::string> names_;  // "Affine1", "Relu1", ... for error messages
  std::unique_ptr<LossLayer<T>> last_;
  std::vector<Param<T>*> params_;
  std::vector<Param<T>*> decayed_;
  std::vector<Buffer<T>> buffers_;
  bool check_numerics_ = false;
};

}  // namespace dlfs
