// Deliberate, test-only faults in backward passes, so the gradient checks can be shown to fail
// when a backward step is wrong. Off unless set; the check costs one load per backward call.
#pragma once
#include <string>

namespace dlfs {

enum class Fault {
  None,
  AffineBias,   // Affine::backward drops one row of dout from db
  ReluMask,     // Relu::backward passes gradient through where x <= 0
  SigmoidGrad,  // Sigmoid::backward forgets the (1 - y) factor
};

Fault injected_fault();
void set_injected_fault(Fault f);
Fault parse_fault(const std::string& name);  // none | affine-bias | relu-mask | sigmoid-grad
std::string fault_names();

}  // namespace dlfs
