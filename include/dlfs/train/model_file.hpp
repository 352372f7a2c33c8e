// Model files: one .npz that NumPy opens as it is (np.load gives W1, b1, ..., gamma1, beta1,
// running_mean1, ... under the book's names) plus a "__config__" entry holding the architecture as
// JSON, so a net is rebuilt from the file alone.
#pragma once
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "dlfs/nets/net.hpp"

namespace dlfs {

inline constexpr const char* kModelConfigEntry = "__config__";

// Writes the net's parameters and buffers in T's dtype (float32 or float64), atomically.
template <class T>
void save_model(Net<T>& net, const std::string& path);

// Rebuilds the net from the file's __config__ (or from `architecture` when the file has none, as
// an .npz written by NumPy's savez) and loads every parameter and buffer. Every name, shape and
// dtype is checked before anything is assigned; errors name the file, the array, what was
// expected and what was found. float64 arrays load into a float net (and float32 into a double
// one); any other dtype is refused. Shapes and dtypes are checked on the members' headers before
// any data is inflated; members named "__...__" or "ckpt...." that the net does not use are
// skipped without being read, and without a word (they are metadata or a checkpoint's extras).
// NaN or Inf values are refused, naming the array and the first bad element (checkpoints load
// through the same check: a run that diverged cannot be resumed).
template <class T>
std::unique_ptr<Net<T>> load_model(const std::string& path, const nlohmann::json* architecture = nullptr);

// Just the architecture JSON of a model file (throws if it has none).
nlohmann::json read_model_config(const std::string& path);

}  // namespace dlfs
