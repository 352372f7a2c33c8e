// Inference for the conv nets on a large batch (the trainer's accuracy passes hand over 1,000
// images at a time) one block of images after another. Every image's scores are computed by the
// same layers either way, but a block's feature maps stay in cache from one layer to the next,
// where a whole chunk's (69 MB out of SimpleConvNet's convolution for 1,000 images) would go
// through memory at every layer.
#pragma once
#include <algorithm>
#include <cstddef>

#include "dlfs/tensor.hpp"

namespace dlfs::detail {

// Images per block (measured on SimpleConvNet: 40 ms per 1,000 images in blocks of 100, 36 ms
// in blocks of 50 or 25).
constexpr std::size_t kPredictBlock = 50;

// scores (N, classes) of x (N, ...), from predict_block(xb) -> (m, classes) on blocks xb of at
// most `block` rows of x, copied into xb. xb and scores are the caller's buffers, kept across calls.
template <class T, class F>
const Tensor<T>& predict_in_blocks(const Tensor<T>& x, std::size_t block, Tensor<T>& xb, Tensor<T>& scores,
                                   F&& predict_block) {
  const std::size_t N = x.dim(0), row = x.size() / N;
  Shape s = x.shape();
  for (std::size_t n0 = 0; n0 < N; n0 += block) {
    const std::size_t m = std::min(block, N - n0);
    s[0] = m;
    xb.resize(s);
    std::copy(x.data() + n0 * row, x.data() + (n0 + m) * row, xb.data());
    const Tensor<T>& y = predict_block(xb);  // (m, classes)
    const std::size_t classes = y.size() / m;
    if (n0 == 0) scores.resize({N, classes});
    std::copy(y.data(), y.data() + m * classes, scores.data() + n0 * classes);
  }
  return scores;
}

// The conv nets' predict: a large inference batch in blocks, anything else (training, small
// batches) in one piece through layer_predict(x, train), the net's LayerNet::predict.
template <class T, class F>
const Tensor<T>& predict_blockwise(const Tensor<T>& x, bool train, Tensor<T>& xb, Tensor<T>& scores,
                                   F&& layer_predict) {
  if (train || x.ndim() < 1 || x.dim(0) <= kPredictBlock) return layer_predict(x, train);
  try {
    return predict_in_blocks(x, kPredictBlock, xb, scores,
                             [&](const Tensor<T>& b) -> const Tensor<T>& { return layer_predict(b, false); });
  } catch (const ShapeError&) {
    return layer_predict(x, false);  // throws again, naming x's shape rather than a block's
  }
}

}  // namespace dlfs::detail
