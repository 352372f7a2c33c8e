// All of chapter 6's optimisers, and the names make_optimizer accepts.
#pragma once
#include <string>
#include <vector>

#include "dlfs/optim/adagrad.hpp"
#include "dlfs/optim/adam.hpp"
#include "dlfs/optim/momentum.hpp"
#include "dlfs/optim/nesterov.hpp"
#include "dlfs/optim/optimizer.hpp"
#include "dlfs/optim/rmsprop.hpp"
#include "dlfs/optim/sgd.hpp"

namespace dlfs {

// {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"}: what OptimizerSpec::name may be
// (case-insensitive).
const std::vector<std::string>& optimizer_names();

}  // namespace dlfs
