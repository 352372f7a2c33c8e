// Private to src/train: the one way a net's scores for a labelled set are computed, shared by
// Trainer's accuracies, evaluate_accuracy, misclassified and evaluate_net, so that `dlfs evaluate`
// reports exactly the accuracy `dlfs train` printed for the same weights (the sparse and float
// paths' first-layer kernels round differently, so all of them must take the same path).
#pragma once
#include <algorithm>
#include <cstddef>

#include "dlfs/data/dataset.hpp"
#include "dlfs/nets/layer_net.hpp"
#include "dlfs/nets/net.hpp"
#include "dlfs/sparse.hpp"

namespace dlfs {

bool net_wants_images(const nlohmann::json& config);

namespace detail {

template <class T>
std::size_t argmax_row(const T* p, std::size_t n) {
  return static_cast<std::size_t>(std::max_element(p, p + n) - p);
}

// Rows of y (rows x classes) whose argmax equals labels[i].
template <class T>
std::size_t count_correct(const Tensor<T>& y, const std::uint8_t* labels, std::size_t rows) {
  const std::size_t classes = y.dim(-1);
  std::size_t correct = 0;
  for (std::size_t i = 0; i < rows; ++i) correct += argmax_row(y.data() + i * classes, classes) == labels[i];
  return correct;
}

// Affine's rule (density <= sparse_max_density()) for n rows of d (rows idx[i], or begin + i),
// from this batch alone, so that a resumed run takes the same path as an uninterrupted one. The
// rows are not counted when every density goes sparse.
template <class T>
bool goes_sparse(const LayerNet<T>& net, const Dataset& d, const std::size_t* idx, std::size_t begin, std::size_t n) {
  const double max_density = net.sparse_max_density();
  return max_density >= 1.0 ||
         static_cast<double>(count_nonzero(d, idx, begin, n)) <= max_density * static_cast<double>(n * d.pixels());
}

// The net that takes rows of d as their bytes (LayerNet::predict_sparse), or null for the float
// path.
template <class T>
LayerNet<T>* byte_input_net(Net<T>& net) {
  auto* ln = dynamic_cast<LayerNet<T>*>(&net);
  return net_wants_images(net.config()) || !ln || !ln->sparse_input() ? nullptr : ln;
}

// Scores for rows [b, e) of d, in inference mode: from the bytes when the chunk goes sparse, else
// the float batch.
template <class T>
const Tensor<T>& predict_chunk(Net<T>& net, LayerNet<T>* sparse_net, const Dataset& d, std::size_t b, std::size_t e,
                               Tensor<T>& x, Tensor<T>& t) {
  // Mostly-zero rows go to the first Affine as their non-zeros, read from the bytes (see
  // LayerNet::predict_sparse): no float copy of the chunk is made and scanned.
  if (sparse_net && goes_sparse(*sparse_net, d, nullptr, b, e - b))
    return sparse_net->predict_sparse(
        e - b, [&](SparseRows<T>& xs, std::size_t r0, std::size_t r1) { sparse_batch_rows(d, nullptr, b, xs, r0, r1); });
  if (sparse_net && sparse_net->sparse_max_density() < 1.0)  // counted on the bytes: dense
    sparse_net->next_input_is_dense();
  slice_batch(d, b, e, !net_wants_images(net.config()), x, t);
  return net.predict(x, false);
}

// fn(y, b, e) for the scores of rows [b, e) of the first n rows of d, chunk rows at a time.
template <class T, class Fn>
void score_chunks(Net<T>& net, const Dataset& d, std::size_t n, std::size_t chunk, Fn&& fn) {
  LayerNet<T>* sparse_net = byte_input_net(net);
  Tensor<T> x, t;
  for (std::size_t b = 0; b < n; b += chunk) {
    const std::size_t e = std::min(n, b + chunk);
    fn(predict_chunk(net, sparse_net, d, b, e, x, t), b, e);
  }
}

// The evaluated rows of a mostly-zero set, compressed once: every evaluation then copies entries
// instead of finding them again in the bytes (MNIST: 100 evaluations of 20,000 digits in the
// seeds' run, 12 MB for 10,000 digits).
template <class T>
struct ScoreCache {
  bool built = false;
  SparseRows<T> rows;  // empty when the set is too dense or too large to keep
};

// Blocks of a set kept in the Columns layout: 128 rows of output (25 KB for 50 units) stay in L1.
inline constexpr std::size_t kEvalBlock = 128;

// fn(y, b, e) over the first n rows of d, as Trainer evaluates: from the cache when `ln` (the net
// as a sparse-input LayerNet, or null) can use one, else score_chunks in chunks of 1000.
// Cache: ScoreCache<T> or Trainer's per-set cache (the same two members).
template <class T, class Cache, class Fn>
void score_rows(Net<T>& net, LayerNet<T>* ln, const Dataset& d, std::size_t n, Cache& cache, Fn&& fn) {
  if (!ln || n == 0) return score_chunks(net, d, n, 1000, fn);
  if (!cache.built) {
    cache.built = true;
    const std::size_t nnz = count_nonzero(d, nullptr, 0, n), px = d.pixels();
    // Kept only when evaluations would take the sparse path anyway, and in bounded memory
    // (index + value: 8 bytes an entry, 4M entries; the full 60,000-digit MNIST would need
    // ~70 MB). The Columns layout keeps at most one entry per non-zero, of 12 bytes.
    const SparseLayout layout = ln->sparse_layout();
    constexpr std::size_t kMaxEntries = std::size_t(4) << 20;
    // (The Tiles layout is dense and packed in a pass far cheaper than its product: nothing is
    // kept, each chunk is packed again.)
    if (layout != SparseLayout::Tiles &&
        static_cast<double>(nnz) <= ln->sparse_max_density() * static_cast<double>(n * px) && nnz <= kMaxEntries) {
      cache.rows.reset(n, px, layout);
      const std::size_t block = layout == SparseLayout::Columns ? kEvalBlock : n;
      for (std::size_t b = 0; b < n; b += block)
        cache.rows.compress_bytes(d.images.data(), px, nullptr, 0, b, std::min(n, b + block), T(1) / T(255));
      if (layout == SparseLayout::Columns) cache.rows.split_column_pairs();  // (only multiplied from now on)
    }
  }
  if (cache.rows.rows() != n) return score_chunks(net, d, n, 1000, fn);
  constexpr std::size_t kChunk = 8 * kEvalBlock;  // whole blocks of the Columns layout
  for (std::size_t b = 0; b < n; b += kChunk) {
    const std::size_t e = std::min(n, b + kChunk);
    fn(ln->predict_sparse_rows(cache.rows, b, e - b), b, e);
  }
}

}  // namespace detail
}  // namespace dlfs
