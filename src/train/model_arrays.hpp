// Pieces model files and checkpoints share (private to the train module): the arrays a net's
// model file holds, and loading them into a net in two steps, stage (check everything, convert)
// then commit (copy, cannot fail), so a bad file leaves the net as it was.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "dlfs/io/npz.hpp"
#include "dlfs/nets/net.hpp"

namespace dlfs::model_detail {

// Prefix of the extra members of a checkpoint; model loading skips them.
inline constexpr const char* kCheckpointPrefix = "ckpt.";

// Every named tensor a model file holds: parameters, then buffers.
template <class T>
std::vector<std::pair<std::string, Tensor<T>*>> model_tensors(Net<T>& net);

// Parameters and buffers in T's dtype plus the "__config__" entry.
template <class T>
std::vector<NpyArray> model_npy_arrays(Net<T>& net);

// The architecture of the file's "__config__" entry; throws naming path if it is malformed.
nlohmann::json model_architecture(const NpzFile& file, const std::string& path);

// Checks that the file holds every tensor of model_tensors(net) with its shape and a float dtype
// (exactly T's when exact_dtype), and nothing else but entries named "__...__" or "ckpt...",
// all from the members' headers, then inflates only those tensors (the others are never read).
// Returns the values in model_tensors order; throws std::runtime_error naming path, the array,
// what was expected and what was found.
template <class T>
std::vector<Tensor<T>> stage_model_tensors(Net<T>& net, const NpzFile& file, const std::string& path,
                                           bool exact_dtype);

// Copies staged values into the net's tensors (same shapes, so no reallocation).
template <class T>
void commit_model_tensors(Net<T>& net, const std::vector<Tensor<T>>& staged);

}  // namespace dlfs::model_detail
