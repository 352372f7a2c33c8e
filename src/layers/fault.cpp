#include "dlfs/layers/fault.hpp"

#include <stdexcept>

namespace dlfs {

namespace {
Fault g_fault = Fault::None;
}

Fault injected_fault() { return g_fault; }
void set_injected_fault(Fault f) { g_fault = f; }

std::string fault_names() { return "none, affine-bias, relu-mask, sigmoid-grad"; }

Fault parse_fault(const std::string& name) {
  if (name == "none") return Fault::None;
  if (name == "affine-bias") return Fault::AffineBias;
  if (name == "relu-mask") return Fault::ReluMask;
  if (name == "sigmoid-grad") return Fault::SigmoidGrad;
  throw std::invalid_argument("unknown fault '" + name + "': expected one of " + fault_names());
}

}  // namespace dlfs
