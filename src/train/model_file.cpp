#include "dlfs/train/model_file.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <new>
#include <set>
#include <stdexcept>

#include "dlfs/io/npz.hpp"
#include "dlfs/nets/registry.hpp"
#include "model_arrays.hpp"

namespace dlfs {

namespace {

constexpr int kFormatVersion = 1;

template <class T>
Tensor<T> as_float_tensor(const NpyArray& a, const std::string& path, bool exact) {
  if (a.dtype == npy_dtype_of<T>()) return npy_as<T>(a);
  if (!exact && a.dtype == "<f4") return npy_as<float>(a).template cast<T>();
  if (!exact && a.dtype == "<f8") return npy_as<double>(a).template cast<T>();
  throw std::runtime_error(path + ": array " + a.name + ": expected dtype " +
                           (exact ? npy_dtype_of<T>() : std::string("<f4 or <f8")) + ", found " + a.dtype);
}

// An array name from the file, made safe for a one-line message.
std::string quoted_name(const std::string& name) {
  std::string out;
  for (unsigned char c : name) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

bool is_extra_entry(const std::string& name) {
  return name.rfind(model_detail::kCheckpointPrefix, 0) == 0 ||
         (name.size() >= 4 && name.rfind("__", 0) == 0 && name.compare(name.size() - 2, 2, "__") == 0);
}

// A file's __config__ is as untrusted as its arrays: a hidden_size of 10^9 would make the net
// allocate gigabytes before any array is compared. In a genuine file every size in the
// architecture is also a dimension of some array (or small, like input_dim's 28), and every list
// is shorter than the number of arrays, so larger values are refused before the net is built.
void check_architecture_sizes(const nlohmann::json& j, std::size_t max_value, std::size_t max_list,
                              const std::string& path, const std::string& key = "", int depth = 0) {
  if (depth > 8) throw std::runtime_error(path + ": __config__ is nested deeper than any dlfs architecture");
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) check_architecture_sizes(*it, max_value, max_list, path, it.key(), depth + 1);
  } else if (j.is_array()) {
    if (j.size() > max_list)
      throw std::runtime_error(path + ": __config__ '" + key + "' lists " + std::to_string(j.size()) +
                               " values, but the file holds only " + std::to_string(max_list) + " arrays");
    for (const auto& e : j) check_architecture_sizes(e, max_value, max_list, path, key, depth + 1);
  } else if (j.is_number_integer() && j.get<long long>() > 0 && j.get<unsigned long long>() > max_value) {
    throw std::runtime_error(path + ": __config__ '" + key + "' is " + j.dump() +
                             ", larger than any array dimension in the file (at most " + std::to_string(max_value) +
                             ")");
  }
}

// A NaN or Inf weight makes every prediction NaN, and argmax over NaN scores says "0": refuse
// the file instead, naming the first bad element. (Converting float64 to float32 may also turn
// a huge finite value into Inf; that is refused too, as it predicts nothing either.)
template <class T>
void check_finite(const Tensor<T>& t, const std::string& name, const std::string& path) {
  const T* p = t.data();
  const std::size_t n = t.size();
  std::size_t i = 0;
  while (i < n && std::isfinite(p[i])) ++i;
  if (i == n) return;
  std::string index;
  for (std::size_t k = t.shape().size(), rest = i; k-- > 0;) {
    index = std::to_string(rest % t.shape()[k]) + (index.empty() ? "" : ", ") + index;
    rest /= t.shape()[k];
  }
  const char* value = std::isnan(p[i]) ? "NaN" : p[i] > 0 ? "Inf" : "-Inf";
  throw std::runtime_error(path + ": array " + name + ": expected finite values, found " + value + " at index (" +
                           index + (t.shape().size() == 1 ? ",)" : ")") + " (flat index " + std::to_string(i) +
                           " of shape " + shape_str(t.shape()) + ")");
}

void check_architecture_against_arrays(const nlohmann::json& arch, const NpzFile& file, const std::string& path) {
  std::size_t max_dim = 4096;  // room for small sizes that are not array dimensions
  // Only arrays a net could hold count: a "__pad__" member declaring (943718400,) must not let
  // the config describe a net of that width (it is never read, so it costs nothing else).
  for (const NpyMember& m : file.members())
    if (!is_extra_entry(m.name))
      for (std::size_t d : m.shape) max_dim = std::max(max_dim, d);
  check_architecture_sizes(arch, max_dim, file.members().size(), path);
}

}  // namespace

namespace model_detail {

template <class T>
std::vector<std::pair<std::string, Tensor<T>*>> model_tensors(Net<T>& net) {
  std::vector<std::pair<std::string, Tensor<T>*>> out;
  for (Param<T>* p : net.params()) out.emplace_back(p->name, &p->value);
  for (const Buffer<T>& b : net.buffers()) out.emplace_back(b.name, b.tensor);
  return out;
}

template <class T>
std::vector<NpyArray> model_npy_arrays(Net<T>& net) {
  std::vector<NpyArray> arrays;
  for (auto& [name, t] : model_tensors(net)) arrays.push_back(to_npy(name, *t));
  nlohmann::json meta = {{"format", "dlfs-model"},
                         {"version", kFormatVersion},
                         {"dtype", npy_dtype_of<T>()},
                         {"architecture", net.config()}};
  arrays.push_back(json_entry(kModelConfigEntry, meta));
  return arrays;
}

nlohmann::json model_architecture(const NpzFile& file, const std::string& path) {
  if (!file.find(kModelConfigEntry))
    throw std::runtime_error(path + ": no " + std::string(kModelConfigEntry) +
                             " entry: not a dlfs model file (give the architecture with --net)");
  nlohmann::json meta;
  try {
    meta = file.read_json(kModelConfigEntry);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  if (!meta.is_object() || !meta.contains("format") || meta["format"] != "dlfs-model" ||
      !meta.contains("architecture") || !meta["architecture"].is_object())
    throw std::runtime_error(path + ": " + kModelConfigEntry +
                             " is not a dlfs model description (expected {\"format\": \"dlfs-model\", "
                             "\"architecture\": {...}})");
  if (meta.contains("version") && (!meta["version"].is_number_integer() || meta["version"].get<long long>() > kFormatVersion))
    throw std::runtime_error(path + ": model format version " + meta["version"].dump() +
                             " is newer than this dlfs reads (" + std::to_string(kFormatVersion) + ")");
  return meta["architecture"];
}

template <class T>
std::vector<Tensor<T>> stage_model_tensors(Net<T>& net, const NpzFile& file, const std::string& path,
                                           bool exact_dtype) {
  const std::string net_name = net.name();
  std::set<std::string> expected;
  // Every declared shape and dtype is checked before any member is inflated, and members other
  // than the net's are never inflated: a small file may declare gigabytes.
  for (auto& [name, t] : model_tensors(net)) {
    expected.insert(name);
    const NpyMember* m = file.find(name);
    if (!m)
      throw std::runtime_error(path + ": missing array " + name + " (net " + net_name + " needs " +
                               shape_str(t->shape()) + ")");
    // Shape first: it is the likelier mistake (another architecture) and the clearer message.
    if (m->shape != t->shape())
      throw std::runtime_error(path + ": array " + name + ": expected shape " + shape_str(t->shape()) + ", found " +
                               shape_str(m->shape));
    const bool float_dtype = m->dtype == npy_dtype_of<T>() || (!exact_dtype && (m->dtype == "<f4" || m->dtype == "<f8"));
    if (!float_dtype)
      throw std::runtime_error(path + ": array " + name + ": expected dtype " +
                               (exact_dtype ? npy_dtype_of<T>() : std::string("<f4 or <f8")) + ", found " + m->dtype);
  }
  for (const NpyMember& m : file.members())
    if (!expected.count(m.name) && !is_extra_entry(m.name))
      throw std::runtime_error(path + ": unexpected array " + quoted_name(m.name) + " for net " + net_name +
                               " (is the file from another architecture?)");
  std::vector<Tensor<T>> staged;
  for (auto& [name, t] : model_tensors(net)) {
    staged.push_back(as_float_tensor<T>(file.read(name), path, exact_dtype));
    check_finite(staged.back(), name, path);
  }
  return staged;
}

template <class T>
void commit_model_tensors(Net<T>& net, const std::vector<Tensor<T>>& staged) {
  auto targets = model_tensors(net);
  for (std::size_t i = 0; i < targets.size(); ++i)
    std::copy(staged[i].begin(), staged[i].end(), targets[i].second->begin());
}

}  // namespace model_detail

template <class T>
void save_model(Net<T>& net, const std::string& path) {
  save_npz(path, model_detail::model_npy_arrays(net), false);
}

nlohmann::json read_model_config(const std::string& path) {
  return model_detail::model_architecture(NpzFile(path), path);
}

template <class T>
std::unique_ptr<Net<T>> load_model(const std::string& path, const nlohmann::json* architecture) {
  NpzFile file(path);
  nlohmann::json arch;
  if (file.find(kModelConfigEntry)) {
    arch = model_detail::model_architecture(file, path);
    check_architecture_against_arrays(arch, file, path);
  } else if (architecture) {
    arch = *architecture;
  } else {
    throw std::runtime_error(path + ": no " + std::string(kModelConfigEntry) +
                             " entry, and no architecture was given (use --net and its flags)");
  }
  std::unique_ptr<Net<T>> net;
  try {
    net = make_net<T>(arch, 0);
  } catch (const std::bad_alloc&) {
    throw std::runtime_error(path + ": the net it describes needs more memory than is available");
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": cannot build the net it describes: " + e.what());
  }
  model_detail::commit_model_tensors(*net, model_detail::stage_model_tensors(*net, file, path, false));
  return net;
}

#define DLFS_INSTANTIATE(T)                                                                                 \
  template void save_model<T>(Net<T>&, const std::string&);                                                 \
  template std::unique_ptr<Net<T>> load_model<T>(const std::string&, const nlohmann::json*);                \
  namespace model_detail {                                                                                  \
  template std::vector<std::pair<std::string, Tensor<T>*>> model_tensors<T>(Net<T>&);                       \
  template std::vector<NpyArray> model_npy_arrays<T>(Net<T>&);                                              \
  template std::vector<Tensor<T>> stage_model_tensors<T>(Net<T>&, const NpzFile&, const std::string&, bool);  \
  template void commit_model_tensors<T>(Net<T>&, const std::vector<Tensor<T>>&);                            \
  }
DLFS_INSTANTIATE(float)
DLFS_INSTANTIATE(double)
#undef DLFS_INSTANTIATE

}  // namespace dlfs
