#include "dlfs/layers/affine.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "dlfs/layers/fault.hpp"
#include "dlfs/linalg.hpp"
#include "dlfs/parallel.hpp"

namespace dlfs {

template <class T>
Affine<T>::Affine(Tensor<T> W, Tensor<T> b) : W_("W", std::move(W)), b_("b", std::move(b)) {
  expect_rank(W_.value.shape(), 2, "Affine: weight W");
  expect_shape(b_.value.shape(), {W_.value.dim(1)}, "Affine: bias b (one per output of W " +
                                                        shape_str(W_.value.shape()) + ")");
}

// The dense products of a wide-input, narrow-output float layer (a net's first layer) go to the
// narrow kernels where the CPU has them (linalg.hpp: they decline other widths); smaller inputs
// and double stay with BLAS.
constexpr std::size_t kNarrowMinInputs = 128;

template <class T>
double Affine<T>::sparse_max_density() const {
  return columns_preferred() || tiles_preferred() ? 1.0 : kSparseMaxDensity;
}

template <class T>
const Tensor<T>& Affine<T>::forward(const Tensor<T>& x, bool train) {
  // The hints hold for this call alone, even when it throws.
  const bool hinted_dense = hint_dense_, borrow = hint_borrow_;
  hint_dense_ = hint_borrow_ = false;
  const std::size_t D = W_.value.dim(0), M = W_.value.dim(1);
  if (x.ndim() < 2 || x.dim(0) == 0 || x.size() / x.dim(0) != D) {
    std::string got = shape_str(x.shape());
    if (x.ndim() > 2 && x.dim(0) != 0) got += " = " + shape_str({x.dim(0), x.size() / x.dim(0)}) + " flattened";
    throw ShapeError("Affine: expected input (N, " + std::to_string(D) + "), got " + got);
  }
  const std::size_t N = x.dim(0);
  x_shape_ = x.shape();
  inference_only_ = false;
  out_.resize({N, M});
  // The path is chosen from this batch alone (never from earlier ones), so the result of a step
  // depends only on its inputs: a resumed run repeats an uninterrupted one bit for bit.
  // (The Tiles layout takes bytes only: a float input keeps the sparse kernels' density rule.)
  const double max_density = columns_preferred() ? 1.0 : kSparseMaxDensity;
  const bool known_dense = hinted_dense && max_density < 1.0;
  std::size_t nnz = 0;
  for (std::size_t n = 0; allow_sparse_ && !known_dense && max_density < 1.0 && n < N; ++n) {  // (every density: no count)
    // Counted in 32 bits per row: that vectorises, a size_t count over the whole batch became a
    // slow SSE2 loop (10% of the MNIST seeds' run, 8% of Fashion-MNIST's).
    const T* px = x.data() + n * D;
    std::uint32_t row_nnz = 0;
    for (std::size_t d = 0; d < D; ++d) row_nnz += px[d] != T(0);
    nnz += row_nnz;
  }
  used_sparse_ = allow_sparse_ && !known_dense && static_cast<double>(nnz) <= max_density * static_cast<double>(N * D);
  if (used_sparse_) {
    // The non-zeros of x replace the copy of x: they serve this product and dW.
    sparse_product(N, [&x](SparseRows<T>& xs, std::size_t r0, std::size_t r1) { xs.compress_rows(x.data(), r0, r1); },
                   SparseLayout::Auto);
  } else {
    // Training keeps a copy rather than a pointer to the caller's tensor (as the book keeps): the
    // caller may free or overwrite x before backward, and the copy is O(N D) next to the
    // O(N D M) product. Inference (evaluations of whole sets) skips the copy and keeps the
    // pointer, for the rare backward after it.
    const T* px = x.data();
    x_ref_ = &x;
    if (train && !borrow) {
      x_.resize({N, D});
      T* pc = x_.data();
      for (std::size_t i = 0, n = N * D; i < n; ++i) pc[i] = px[i];
      px = pc;
      x_ref_ = nullptr;
    }
    bool narrow = false;
    if constexpr (std::is_same_v<T, float>)
      narrow = D >= kNarrowMinInputs && narrow_affine(N, D, M, px, W_.value.data(), b_.value.data(), out_.data());
    if (!narrow) {
      gemm(Trans::No, Trans::No, N, M, D, T(1), px, D, W_.value.data(), M, T(0), out_.data(), M);  // (N, D) x (D, M)
      const T* pb = b_.value.data();
      for (std::size_t n = 0; n < N; ++n) {
        T* o = out_.data() + n * M;
        for (std::size_t m = 0; m < M; ++m) o[m] += pb[m];
      }
    }
  }
  return out_;
}

template <class T>
const Tensor<T>& Affine<T>::forward_sparse(std::size_t N, const SparseFill& fill, bool train) {
  const std::size_t D = W_.value.dim(0), M = W_.value.dim(1);
  if (N == 0) throw ShapeError("Affine: expected input (N, " + std::to_string(D) + ") with N > 0, got (0, " +
                               std::to_string(D) + ")");
  x_shape_ = {N, D};
  out_.resize({N, M});
  used_sparse_ = true;
  const SparseLayout layout = batch_layout();
  inference_only_ = layout == SparseLayout::Tiles && !train;
  if (layout == SparseLayout::Tiles) {
    tiles_product(N, fill, train);
    return out_;
  }
  sparse_product(N, fill, layout);
  return out_;
}

// The AMX products go at every density (a dense product of tiles), so a net's first layer takes
// them for every batch of bytes where they are in use: float, no dx.
template <class T>
bool Affine<T>::tiles_preferred() const {
  return sparse_tiles_preferred<T>() && !this->need_dx();
}

// Threads for a Tiles product over a batch of N rows: one for a training batch. Measured on the
// 2-core AMX machine: a batch of 100 is ~60 us of tile work a step, and splitting it between two
// threads made training alone slower (1.16 s against 1.00 s for the seeds' run), the cost of
// handing work to the second core exceeding the half it takes.
static int tiles_tasks(std::size_t N, std::size_t blocks) {
  constexpr std::size_t kMinRowsToSplit = 256;
  return N < kMinRowsToSplit ? 1 : static_cast<int>(std::min<std::size_t>(blocks, num_threads()));
}

// Blocks of 32 rows (the tiles' unit) split between threads; W is packed once for all of them.
template <class T>
void Affine<T>::tiles_product(std::size_t N, const SparseFill& fill, bool train) {
  if constexpr (std::is_same_v<T, float>) {
    const std::size_t D = W_.value.dim(0);
    xs_.reset(N, D, SparseLayout::Tiles, train);
    wt_.pack(W_.value.data(), D, W_.value.dim(1));
    const std::size_t blocks = (N + 31) / 32;
    const int tasks = tiles_tasks(N, blocks);
    parallel_tasks(tasks, [&](int t) {
      std::size_t j0, j1;
      split_range(blocks, tasks, t, j0, j1);
      const std::size_t r0 = 32 * j0, r1 = std::min(32 * j1, N);
      if (r0 >= r1) return;
      fill(xs_, r0, r1);
      tiles_affine(xs_, r0, r1, wt_, b_.value.data(), out_.data());
    });
  } else {
    throw std::logic_error("Affine: the Tiles layout is for float");
  }
}

// The Columns layout is the Pairs layout's successor where that one is chosen at every density
// (see sparse_max_density): measured on MNIST batches it does the first layer's forward and dW
// in ~12% less time, transposition included. Only for batches filled by the caller (bytes): the
// float path of forward() keeps row pairs, which need no transposition.
template <class T>
bool Affine<T>::columns_preferred() const {
  return sparse_pairs_preferred<T>() && !this->need_dx() && W_.value.dim(1) <= kPairsMaxOutputs;
}

template <class T>
const Tensor<T>& Affine<T>::forward_sparse_rows(const SparseRows<T>& xs, std::size_t first, std::size_t N) {
  const std::size_t D = W_.value.dim(0), M = W_.value.dim(1);
  if (N == 0 || xs.cols() != D || first + N > xs.rows() || first + N < first)
    throw ShapeError("Affine: expected rows of an input (N, " + std::to_string(D) + "), got rows [" +
                     std::to_string(first) + ", " + std::to_string(first + N) + ") of (" + std::to_string(xs.rows()) +
                     ", " + std::to_string(xs.cols()) + ")");
  x_shape_ = {N, D};
  out_.resize({N, M});
  used_sparse_ = true;
  inference_only_ = true;
  if (xs.columns()) {  // block by block, as the set was filled (the rows must be whole blocks)
    std::vector<std::size_t> starts;
    for (std::size_t r = first; r < first + N; r = xs.next_block(r)) starts.push_back(r - first);
    starts.push_back(N);
    const std::size_t blocks = starts.size() - 1;
    const int tasks = static_cast<int>(std::min<std::size_t>(blocks, num_threads()));
    parallel_tasks(tasks, [&](int t) {
      std::size_t j0, j1;
      split_range(blocks, tasks, t, j0, j1);
      for (std::size_t j = j0; j < j1; ++j)
        sparse_affine_rows(xs, starts[j], starts[j + 1], W_.value.data(), b_.value.data(), M, out_.data(), first);
    });
    return out_;
  }
  const int tasks = static_cast<int>(std::min<std::size_t>({std::size_t(num_threads()), std::max<std::size_t>(N / 16, 1), 64}));
  parallel_tasks(tasks, [&](int t) {
    std::size_t r0, r1;
    split_range(N, tasks, t, r0, r1);
    sparse_affine_rows(xs, r0, r1, W_.value.data(), b_.value.data(), M, out_.data(), first);  // (N, M)
  });
  return out_;
}

// Rows are split between threads, each compressing its rows and multiplying them while they are
// still in cache; each row's sum is the same whichever thread computes it. The split is by pairs
// of rows, which the paired layout fills together. In the Columns layout the rows are cut into
// blocks of at most 128 (a block's output rows stay in L1), each thread taking a run of blocks.
template <class T>
void Affine<T>::sparse_product(std::size_t N, const SparseFill& fill, SparseLayout layout) {
  const std::size_t D = W_.value.dim(0), M = W_.value.dim(1), P = (N + 1) / 2;
  xs_.reset(N, D, layout);
  std::size_t blocks = std::min<std::size_t>({std::size_t(num_threads()), std::max<std::size_t>(P / 8, 1), 64});
  if (layout == SparseLayout::Columns) blocks = std::max(blocks, (N + 127) / 128);
  const int tasks = static_cast<int>(std::min<std::size_t>(blocks, num_threads()));  // (parallel_tasks' cap)
  parallel_tasks(tasks, [&](int t) {
    std::size_t j0, j1;
    split_range(blocks, tasks, t, j0, j1);
    for (std::size_t j = j0; j < j1; ++j) {
      std::size_t p0, p1;
      split_range(P, static_cast<int>(blocks), static_cast<int>(j), p0, p1);
      const std::size_t r0 = 2 * p0, r1 = std::min(2 * p1, N);
      fill(xs_, r0, r1);
      sparse_affine_rows(xs_, r0, r1, W_.value.data(), b_.value.data(), M, out_.data());  // (N, M)
    }
  });
}

template <class T>
const Tensor<T>& Affine<T>::backward(const Tensor<T>& dout) {
  const std::size_t N = x_shape_.empty() ? 0 : x_shape_[0], D = W_.value.dim(0), M = W_.value.dim(1);
  expect_shape(dout.shape(), {N, M}, "Affine backward: dout");
  if (inference_only_)
    throw std::logic_error("Affine backward: the last forward read a kept evaluation set (forward_sparse_rows), "
                           "which has no backward");

  if (used_sparse_ && xs_.tiles()) {  // dW = x^T dout by the AMX products, blocks of 32 rows of dW split
    if constexpr (std::is_same_v<T, float>) {
      dt_.pack(dout.data(), N, M);
      const std::size_t blocks = (D + 31) / 32;
      const int tasks = tiles_tasks(N, blocks);
      parallel_tasks(tasks, [&](int t) {
        std::size_t j0, j1;
        split_range(blocks, tasks, t, j0, j1);
        if (j0 < j1) tiles_weight_grad(xs_, 32 * j0, std::min(32 * j1, D), dt_, W_.grad.data());
      });
    }
  } else if (used_sparse_) {  // dW = x^T dout over the non-zeros of x, pairs of rows of dW split between threads
    const std::size_t Q = (D + 1) / 2;
    const int tasks = static_cast<int>(std::min<std::size_t>(num_threads(), std::max<std::size_t>(D / 64, 1)));
    parallel_tasks(tasks, [&](int t) {
      std::size_t q0, q1;
      split_range(Q, tasks, t, q0, q1);
      sparse_weight_grad(xs_, 2 * q0, std::min(2 * q1, D), dout.data(), M, W_.grad.data());
    });
  } else {
    // dW = x^T dout: (D, N) x (N, M) -> (D, M)
    const T* px = x_ref_ ? x_ref_->data() : x_.data();
    bool narrow = false;
    if constexpr (std::is_same_v<T, float>)
      narrow = D >= kNarrowMinInputs && narrow_weight_grad(N, D, M, px, dout.data(), W_.grad.data());
    if (!narrow)
      gemm(Trans::Yes, Trans::No, D, M, N, T(1), px, D, dout.data(), M, T(0), W_.grad.data(), M);
  }
  T* db = b_.grad.data();                                 // db = sum over the batch: (M,)
  std::fill(db, db + M, T(0));
  // Tests only: the AffineBias fault leaves the last row of dout out of db.
  const std::size_t rows = injected_fault() == Fault::AffineBias && N > 0 ? N - 1 : N;
  for (std::size_t n = 0; n < rows; ++n) {
    const T* d = dout.data() + n * M;
    for (std::size_t m = 0; m < M; ++m) db[m] += d[m];
  }

  if (!this->need_dx()) {
    dx_.resize({0});
    return dx_;
  }
  matmul_into(dout, W_.value, dx_, Trans::No, Trans::Yes);  // dx = dout W^T: (N, M) x (M, D) -> (N, D)
  dx_.reshape(x_shape_);                                    // back to (N, ...)
  return dx_;
}

template class Affine<float>;
template class Affine<double>;

}  // namespace dlfs
