#include "dlfs/train/model_file.hpp"

#include <set>
#include <stdexcept>

#include "dlfs/io/npz.hpp"
#include "dlfs/nets/registry.hpp"

namespace dlfs {

namespace {

constexpr int kFormatVersion = 1;

// Every named tensor of a net that a model file holds: parameters, then buffers.
template <class T>
std::vector<std::pair<std::string, Tensor<T>*>> model_tensors(Net<T>& net) {
  std::vector<std::pair<std::string, Tensor<T>*>> out;
  for (Param<T>* p : net.params()) out.emplace_back(p->name, &p->value);
  for (const Buffer<T>& b : net.buffers()) out.emplace_back(b.name, b.tensor);
  return out;
}

template <class T>
Tensor<T> as_float_tensor(const NpyArray& a, const std::string& path) {
  if (a.dtype == npy_dtype_of<T>()) return npy_as<T>(a);
  if (a.dtype == "<f4") return npy_as<float>(a).template cast<T>();
  if (a.dtype == "<f8") return npy_as<double>(a).template cast<T>();
  throw std::runtime_error(path + ": array " + a.name + ": expected dtype <f4 or <f8, found " + a.dtype);
}

}  // namespace

template <class T>
void save_model(Net<T>& net, const std::string& path) {
  std::vector<NpyArray> arrays;
  for (auto& [name, t] : model_tensors(net)) arrays.push_back(to_npy(name, *t));
  nlohmann::json meta = {{"format", "dlfs-model"},
                         {"version", kFormatVersion},
                         {"dtype", npy_dtype_of<T>()},
                         {"architecture", net.config()}};
  arrays.push_back(json_entry(kModelConfigEntry, meta));
  save_npz(path, arrays, false);
}

nlohmann::json read_model_config(const std::string& path) {
  auto arrays = load_npz(path);
  auto it = arrays.find(kModelConfigEntry);
  if (it == arrays.end())
    throw std::runtime_error(path + ": no " + std::string(kModelConfigEntry) +
                             " entry: not a dlfs model file (give the architecture with --net)");
  nlohmann::json meta = parse_json_entry(it->second);
  if (!meta.is_object() || meta.value("format", "") != "dlfs-model" || !meta.contains("architecture"))
    throw std::runtime_error(path + ": " + kModelConfigEntry + " is not a dlfs model description");
  if (meta.value("version", 0) > kFormatVersion)
    throw std::runtime_error(path + ": model format version " + std::to_string(meta.value("version", 0)) +
                             " is newer than this dlfs reads (" + std::to_string(kFormatVersion) + ")");
  return meta["architecture"];
}

template <class T>
std::unique_ptr<Net<T>> load_model(const std::string& path, const nlohmann::json* architecture) {
  auto arrays = load_npz(path);
  nlohmann::json arch;
  if (arrays.count(kModelConfigEntry)) {
    arch = read_model_config(path);
  } else if (architecture) {
    arch = *architecture;
  } else {
    throw std::runtime_error(path + ": no " + std::string(kModelConfigEntry) +
                             " entry, and no architecture was given (use --net and its flags)");
  }
  std::unique_ptr<Net<T>> net;
  try {
    net = make_net<T>(arch, 0);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": cannot build the net it describes: " + e.what());
  }
  auto targets = model_tensors(*net);
  // Check everything first, assign after: a bad file changes nothing.
  std::vector<Tensor<T>> loaded;
  std::set<std::string> expected;
  for (auto& [name, t] : targets) {
    expected.insert(name);
    auto it = arrays.find(name);
    if (it == arrays.end())
      throw std::runtime_error(path + ": missing array " + name + " (net " + arch.value("net", "?") + " needs " +
                               shape_str(t->shape()) + ")");
    Tensor<T> v = as_float_tensor<T>(it->second, path);
    if (v.shape() != t->shape())
      throw std::runtime_error(path + ": array " + name + ": expected shape " + shape_str(t->shape()) + ", found " +
                               shape_str(v.shape()));
    loaded.push_back(std::move(v));
  }
  for (auto& [name, a] : arrays)
    if (name != kModelConfigEntry && !expected.count(name))
      throw std::runtime_error(path + ": unexpected array " + name + " for net " + arch.value("net", "?") +
                               " (is the file from another architecture?)");
  for (std::size_t i = 0; i < targets.size(); ++i) *targets[i].second = std::move(loaded[i]);
  return net;
}

template void save_model<float>(Net<float>&, const std::string&);
template void save_model<double>(Net<double>&, const std::string&);
template std::unique_ptr<Net<float>> load_model<float>(const std::string&, const nlohmann::json*);
template std::unique_ptr<Net<double>> load_model<double>(const std::string&, const nlohmann::json*);

}  // namespace dlfs
