// Chapter 6.4.3: Dropout, as the book's common/layers.py. Training keeps each element with
// probability 1 - dropout_ratio (mask = rand > dropout_ratio, y = x * mask); inference keeps all of
// them and scales by (1 - dropout_ratio) instead, so the expected activation is the same.
#pragma once
#include <cstdint>

#include "dlfs/layers/layer.hpp"
#include "dlfs/rng.hpp"

namespace dlfs {

template <class T>
class Dropout : public Layer<T> {
 public:
  // Throws std::invalid_argument unless dropout_ratio is in [0, 1). The ratio's default is the
  // book's (dropout_ratio=0.5). The seed is dlfs's addition: the book draws from NumPy's global
  // generator, dlfs gives each layer its own so that runs and checkpoints are repeatable.
  explicit Dropout(double dropout_ratio = 0.5, std::uint64_t seed = 0);

  std::string type() const override { return "Dropout"; }
  // any shape -> same shape. Training draws a new mask from rng() unless the mask is frozen.
  const Tensor<T>& forward(const Tensor<T>& x, bool train) override;
  // dout * mask after a training forward; dout * (1 - dropout_ratio) after an inference one.
  const Tensor<T>& backward(const Tensor<T>& dout) override;

  // While frozen, a training forward reuses the last mask instead of drawing a new one (the first
  // forward still draws one), so a gradient check differentiates one fixed function. A frozen
  // mask only fits inputs of its own shape (ShapeError otherwise).
  void freeze_mask(bool frozen) { frozen_ = frozen; }
  bool mask_frozen() const { return frozen_; }
  // The generator the masks come from; its state() belongs in a checkpoint.
  Rng& rng() { return rng_; }
  double dropout_ratio() const { return ratio_; }
  // The last mask (1 kept, 0 dropped), with the shape of the last training input.
  const Tensor<T>& mask() const { return mask_; }

 private:
  double ratio_;
  Rng rng_;
  bool frozen_ = false;
  bool has_mask_ = false;
  enum class Mode { None, Train, Test };
  Mode mode_ = Mode::None;
  Shape out_shape_;
  Tensor<T> mask_, out_, dx_;
};

extern template class Dropout<float>;
extern template class Dropout<double>;

}  // namespace dlfs
