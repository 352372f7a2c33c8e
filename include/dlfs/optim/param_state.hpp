// Per-parameter optimiser state (Momentum's v, AdaGrad's h, Adam's m and v), kept by POSITION in
// the params list and never keyed by raw pointers: a net that is rebuilt or reloaded keeps the
// order of its parameters, not their addresses.
#pragma once
#include <string>
#include <vector>

#include "dlfs/layers/layer.hpp"

namespace dlfs {

template <class T>
class ParamState {
 public:
  // owner names the optimiser in errors ("Adam"); kinds are the state names ("m", "v").
  ParamState(std::string owner, std::vector<std::string> kinds);

  // The first call allocates one zero tensor per kind per param, shaped like the param. Later
  // calls check that the list still has the same length and shapes, and throw ShapeError naming
  // the param and both shapes if not. Also checks that each grad has its value's shape.
  void prepare(const std::vector<Param<T>*>& params);
  bool ready() const { return ready_; }

  // State tensor of kind k for the i-th param.
  Tensor<T>& at(std::size_t k, std::size_t i) { return slots_[k][i]; }

  // "v/W1", "v/b1", ... (kind-major), pointing at the live tensors: writing into them restores a
  // checkpoint. Empty until prepare() has run.
  std::vector<Buffer<T>> buffers();

 private:
  std::string owner_;
  std::vector<std::string> kinds_;
  std::vector<std::string> names_;             // param names recorded at allocation
  std::vector<std::vector<Tensor<T>>> slots_;  // [kind][param]
  bool ready_ = false;
};

}  // namespace dlfs
