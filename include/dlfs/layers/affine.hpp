// Chapter 5.6: Affine, out = x W + b, as one GEMM over the whole batch. Input of any rank >= 2 is
// treated as (N, D) with D the product of the trailing dimensions (so an image batch (N, C, H, W)
// feeds a fully connected layer directly, as in the book's tensor-aware Affine); dx comes back in
// the input's original shape.
#pragma once
#include <functional>

#include "dlfs/layers/layer.hpp"
#include "dlfs/sparse.hpp"

namespace dlfs {

template <class T>
class Affine : public Layer<T> {
 public:
  // W: (D, M), b: (M,). Throws ShapeError if they disagree.
  Affine(Tensor<T> W, Tensor<T> b);

  std::string type() const override { return "Affine"; }
  const Tensor<T>& forward(const Tensor<T>& x, bool train) override;  // (N, ...) -> (N, M)
  // (N, M) -> dx in x's shape; fills W.grad = x^T dout and b.grad = column sums of dout. When
  // need_dx() is false (first layer of a net) dx is not computed and an empty tensor is returned.
  const Tensor<T>& backward(const Tensor<T>& dout) override;
  std::vector<Param<T>*> params() override { return {&W_, &b_}; }

  // Sparse input: the caller writes the batch's non-zeros straight into the layer, e.g. from a
  // dataset's uint8 pixels (SparseRows::compress_bytes), so that no float batch is built, copied
  // and scanned. fill(xs, r0, r1) must store rows [r0, r1) of the (N, D) batch in xs; it is called
  // from several threads at once for disjoint ranges, each followed by the product of its rows.
  // The result and backward are exactly those of forward() on the same batch by the sparse path.
  using SparseFill = std::function<void(SparseRows<T>& xs, std::size_t r0, std::size_t r1)>;
  // train = false (an evaluation): no backward may follow, and the Tiles layout keeps no transpose.
  const Tensor<T>& forward_sparse(std::size_t N, const SparseFill& fill, bool train = true);
  // Inference on rows [first, first + N) of an input compressed once (an evaluation set kept by
  // the trainer), read in place. No backward may follow (it throws std::logic_error).
  const Tensor<T>& forward_sparse_rows(const SparseRows<T>& xs, std::size_t first, std::size_t N);

  Param<T>& W() { return W_; }
  Param<T>& b() { return b_; }

  // Inputs with at most sparse_max_density() non-zeros take the row-sparse kernels of sparse.hpp
  // instead of the GEMM; both compute x W + b, only the summation order differs. The choice is
  // made from each batch alone. kSparseMaxDensity: measured on a 2-core AVX-512 machine for
  // (100, 784) x (784, 50): sparse forward and dW are 2.5x and 1.7x faster than OpenBLAS on MNIST
  // (density 0.19); on Fashion-MNIST (0.47) the forward ties and dW is 1.6x slower. Where the
  // paired AVX2 kernels are in use (sparse_pairs_preferred) and this is a net's first layer (no dx)
  // with at most kPairsMaxOutputs outputs, every density goes sparse: on an AVX2-only 2-core AMD
  // EPYC (Zen 1) the paired kernels beat OpenBLAS on (100, 784) x (784, 50) even for dense rows
  // (Fashion-MNIST's seeds' run went from 7.7 s to 6.6 s; docs/performance.md).
  static constexpr double kSparseMaxDensity = 0.35;
  static constexpr std::size_t kPairsMaxOutputs = 64;
  double sparse_max_density() const;
  // The layout of batches filled by the caller (forward_sparse): Tiles where the AMX kernels are
  // in use and this is a net's first layer (float; every density, as a dense product), Columns
  // where the paired kernels go at every density (see sparse_max_density), else Auto.
  SparseLayout batch_layout() const {
    return tiles_preferred() ? SparseLayout::Tiles : columns_preferred() ? SparseLayout::Columns : SparseLayout::Auto;
  }
  // Whether the last forward took the sparse path (tests).
  bool used_sparse() const { return used_sparse_; }
  // false forces the GEMM path (tests compare the two paths).
  void set_allow_sparse(bool allow) { allow_sparse_ = allow; }
  // Hints from a caller that knows more than the layer, each for the next forward only:
  //  - dense: the caller counted this input's non-zeros (the trainer counts the bytes it
  //    converts, by the same rule) and found it too dense for the sparse path, so the layer's own
  //    count, a pass over the whole batch, is skipped;
  //  - borrow: x outlives the backward that follows (LayerNet::gradient runs both in one call),
  //    so training keeps a pointer to it instead of a copy.
  void hint_next_forward_dense() { hint_dense_ = true; }
  void hint_next_forward_borrow() { hint_borrow_ = true; }
  bool allow_sparse() const { return allow_sparse_; }

 private:
  Param<T> W_, b_;
  Shape x_shape_;  // the original input shape, restored on dx
  Tensor<T> x_;    // the input flattened to (N, D), kept for dW (dense path, training)
  const Tensor<T>* x_ref_ = nullptr;  // the caller's input instead, after an inference forward
  SparseRows<T> xs_;  // the input's non-zeros, kept for dW (sparse path)
  TileOperand wt_, dt_;  // W and dout packed for the Tiles layout's products
  Tensor<T> out_, dx_;
  bool used_sparse_ = false, allow_sparse_ = true, inference_only_ = false;
  bool hint_dense_ = false, hint_borrow_ = false;  // see hint_next_forward

  void sparse_product(std::size_t N, const SparseFill& fill, SparseLayout layout);
  void tiles_product(std::size_t N, const SparseFill& fill, bool train);
  bool columns_preferred() const;
  bool tiles_preferred() const;
};

extern template class Affine<float>;
extern template class Affine<double>;

}  // namespace dlfs
