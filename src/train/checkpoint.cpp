#include "dlfs/train/checkpoint.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <stdexcept>

#include "dlfs/io/npz.hpp"
#include "dlfs/layers/dropout.hpp"
#include "dlfs/nets/layer_net.hpp"
#include "model_arrays.hpp"

namespace dlfs {

namespace {

using json = nlohmann::json;
constexpr int kCheckpointVersion = 1;
const std::string kPrefix = model_detail::kCheckpointPrefix;

// "m/W1" -> "ckpt.optim.m.W1" (.npz member names may not hold '/').
std::string optim_member(const std::string& state_name) {
  std::string s = state_name;
  std::replace(s.begin(), s.end(), '/', '.');
  return kPrefix + "optim." + s;
}

// The Dropout layers of a LayerNet, with the member name of their RNG state.
template <class T>
std::vector<std::pair<std::string, Dropout<T>*>> dropout_layers(Net<T>& net) {
  std::vector<std::pair<std::string, Dropout<T>*>> out;
  if (auto* ln = dynamic_cast<LayerNet<T>*>(&net))
    for (std::size_t i = 0; i < ln->layers().size(); ++i)
      if (auto* d = dynamic_cast<Dropout<T>*>(ln->layers()[i].get()))
        out.emplace_back(kPrefix + "rng." + std::to_string(i) + "." + ln->layer_name(i), d);
  return out;
}

std::vector<std::uint64_t> as_u64(const std::vector<std::size_t>& v) { return {v.begin(), v.end()}; }

Tensor<double> as_tensor(const std::vector<double>& v) { return Tensor<double>(Shape{v.size()}, v); }

// Typed access to the arrays and JSON of one checkpoint file, naming the file in every error.
class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)), file_(path_) {
    if (!file_.find(kCheckpointEntry))
      throw std::runtime_error(path_ + ": no " + std::string(kCheckpointEntry) +
                               " entry: not a dlfs checkpoint (write one with dlfs train --checkpoint-every N)");
    try {
      meta_ = file_.read_json(kCheckpointEntry);
    } catch (const std::exception& e) {
      fail(std::string(kCheckpointEntry) + " is not valid JSON: " + e.what());
    }
    if (!meta_.is_object() || meta_.value("format", json()) != "dlfs-checkpoint")
      fail(std::string(kCheckpointEntry) + " is not a dlfs checkpoint description");
    if (!meta_.contains("version") || !meta_["version"].is_number_integer() ||
        meta_["version"].get<long long>() > kCheckpointVersion)
      fail("checkpoint format version " + meta_.value("version", json()).dump() + ", this dlfs reads up to " +
           std::to_string(kCheckpointVersion));
  }
  [[noreturn]] void fail(const std::string& msg) const { throw std::runtime_error(path_ + ": " + msg); }

  const json& get(const std::string& key, json::value_t type) const {
    auto it = meta_.find(key);
    bool ok = it != meta_.end() &&
              (it->type() == type || (type == json::value_t::number_unsigned && it->is_number_unsigned()) ||
               (type == json::value_t::number_float && it->is_number()));
    if (!ok)
      fail(std::string(kCheckpointEntry) + ": key '" + key + "' missing or of the wrong type" +
           (it == meta_.end() ? "" : " (found " + it->dump() + ")"));
    return *it;
  }
  std::size_t count(const std::string& key) const { return get(key, json::value_t::number_unsigned).get<std::size_t>(); }

  // Inflated on first use; callers check the declared shape and dtype (same fields) first.
  const NpyArray& array(const std::string& name) const {
    auto it = read_.find(name);
    if (it != read_.end()) return it->second;
    if (!file_.find(name)) fail("missing array " + name);
    return read_.emplace(name, file_.read(name)).first->second;
  }
  const NpyMember& header(const std::string& name) const {
    const NpyMember* m = file_.find(name);
    if (!m) fail("missing array " + name);
    return *m;
  }
  std::vector<std::uint64_t> words(const std::string& name, std::size_t expected_size) const {
    const NpyMember& a = header(name);
    if (a.dtype != "<u8" || a.shape.size() != 1 || (expected_size && a.shape[0] != expected_size))
      fail("array " + name + ": expected " +
           (expected_size ? "shape (" + std::to_string(expected_size) + ",)" : std::string("a 1-D array")) +
           " of dtype <u8, found shape " + shape_str(a.shape) + " of dtype " + a.dtype);
    auto t = npy_as<std::uint64_t>(array(name));
    return {t.begin(), t.end()};
  }
  std::vector<std::uint64_t> rng_state(const std::string& name) const {
    auto s = words(name, 6);
    if (s[0] == 0 && s[1] == 0 && s[2] == 0 && s[3] == 0) fail("array " + name + ": an all-zero generator state");
    return s;
  }
  std::vector<double> doubles(const std::string& name) const {
    const NpyMember& a = header(name);
    if (a.dtype != "<f8" || a.shape.size() != 1)
      fail("array " + name + ": expected a 1-D array of dtype <f8, found shape " + shape_str(a.shape) +
           " of dtype " + a.dtype);
    auto t = npy_as<double>(array(name));
    return {t.begin(), t.end()};
  }
  template <class T>
  Tensor<T> tensor(const std::string& name, const Shape& shape) const {
    const NpyMember& a = header(name);
    if (a.shape != shape || a.dtype != npy_dtype_of<T>())
      fail("array " + name + ": expected shape " + shape_str(shape) + " of dtype " + npy_dtype_of<T>() +
           ", found shape " + shape_str(a.shape) + " of dtype " + a.dtype);
    return npy_as<T>(array(name));
  }

  const std::string& path() const { return path_; }
  const json& meta() const { return meta_; }
  const NpzFile& file() const { return file_; }

 private:
  std::string path_;
  NpzFile file_;
  mutable std::map<std::string, NpyArray> read_;
  json meta_;
};

json optimizer_json(const OptimizerSpec& o) {
  return {{"name", o.name},           {"lr", o.lr},       {"momentum", o.momentum},
          {"decay_rate", o.decay_rate}, {"beta1", o.beta1}, {"beta2", o.beta2}};
}

}  // namespace

std::string train_set_digest(const Dataset& d) {
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&h](const std::uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  };
  const std::uint64_t shape[] = {d.size(), d.rows(), d.cols(), d.num_classes};
  mix(reinterpret_cast<const std::uint8_t*>(shape), sizeof shape);
  mix(d.labels.data(), d.labels.size());
  const std::uint8_t* img = d.images.data();
  const std::size_t n = d.images.size(), block = 256, blocks = 4096;
  if (n <= block * blocks) {
    mix(img, n);
  } else {
    for (std::size_t b = 0; b < blocks; ++b) mix(img + (n - block) / (blocks - 1) * b, block);
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return std::string("fnv1a64-v1:") + hex;
}

json train_config_to_json(const TrainConfig& c) {
  return {{"iters", c.iters},
          {"epochs", c.epochs},
          {"mini_batch_size", c.mini_batch_size},
          {"optimizer", optimizer_json(c.optimizer)},
          {"evaluate_sample_num_per_epoch", c.evaluate_sample_num_per_epoch},
          {"with_replacement", c.with_replacement},
          {"gradient", c.gradient},
          {"verbose", c.verbose},
          {"check_numerics", c.check_numerics},
          {"seed", c.seed}};
}

TrainConfig train_config_from_json(const json& j) {
  TrainConfig c;
  try {
    c.iters = j.at("iters").get<std::size_t>();
    c.epochs = j.at("epochs").get<std::size_t>();
    c.mini_batch_size = j.at("mini_batch_size").get<std::size_t>();
    const json& o = j.at("optimizer");
    c.optimizer.name = o.at("name").get<std::string>();
    c.optimizer.lr = o.at("lr").get<double>();
    c.optimizer.momentum = o.at("momentum").get<double>();
    c.optimizer.decay_rate = o.at("decay_rate").get<double>();
    c.optimizer.beta1 = o.at("beta1").get<double>();
    c.optimizer.beta2 = o.at("beta2").get<double>();
    c.evaluate_sample_num_per_epoch = j.at("evaluate_sample_num_per_epoch").get<std::size_t>();
    c.with_replacement = j.at("with_replacement").get<bool>();
    c.gradient = j.at("gradient").get<std::string>();
    c.verbose = j.at("verbose").get<bool>();
    c.check_numerics = j.at("check_numerics").get<bool>();
    c.seed = j.at("seed").get<std::uint64_t>();
  } catch (const json::exception& e) {
    throw std::runtime_error("training config: " + std::string(e.what()) + " in " + j.dump());
  }
  return c;
}

template <class T>
void save_checkpoint(const std::string& path, Trainer<T>& trainer, const json& run_config) {
  Net<T>& net = trainer.net();
  Optimizer<T>& opt = trainer.optimizer();
  std::vector<NpyArray> arrays = model_detail::model_npy_arrays(net);
  auto opt_state = opt.state();
  for (const Buffer<T>& b : opt_state) arrays.push_back(to_npy(optim_member(b.name), *b.tensor));
  arrays.push_back(to_npy(kPrefix + "rng.trainer", trainer.rng().state()));
  for (auto& [name, d] : dropout_layers(net)) arrays.push_back(to_npy(name, d->rng().state()));
  arrays.push_back(to_npy(kPrefix + "perm", as_u64(trainer.permutation())));
  const History& h = trainer.history();
  arrays.push_back(to_npy(kPrefix + "history.train_loss", as_tensor(h.train_loss)));
  arrays.push_back(to_npy(kPrefix + "history.epoch_iter", as_u64(h.epoch_iter)));
  arrays.push_back(to_npy(kPrefix + "history.train_acc", as_tensor(h.train_acc)));
  arrays.push_back(to_npy(kPrefix + "history.test_acc", as_tensor(h.test_acc)));
  json meta = {{"format", "dlfs-checkpoint"},
               {"version", kCheckpointVersion},
               {"dtype", npy_dtype_of<T>()},
               {"iteration", trainer.current_iter()},
               {"train_size", trainer.train_size()},
               {"train_digest", train_set_digest(trainer.train_set())},
               {"optimizer_iterations", opt.iterations()},
               {"optimizer_lr", opt.lr},
               {"optimizer_state", !opt_state.empty()},
               {"perm_pos", trainer.permutation_pos()},
               {"history_seconds", h.seconds},
               {"train_config", train_config_to_json(trainer.config())},
               {"run_config", run_config}};
  arrays.push_back(json_entry(kCheckpointEntry, meta));
  save_npz(path, arrays, false);
}

CheckpointInfo read_checkpoint_info(const std::string& path) {
  Reader r(path);
  CheckpointInfo info;
  info.iteration = r.count("iteration");
  info.dtype = r.get("dtype", json::value_t::string).get<std::string>();
  info.architecture = model_detail::model_architecture(r.file(), path);
  info.train_config = r.get("train_config", json::value_t::object);
  info.run_config = r.meta().value("run_config", json());
  if (r.meta().contains("train_digest")) info.train_digest = r.get("train_digest", json::value_t::string).get<std::string>();
  return info;
}

template <class T>
void load_checkpoint(const std::string& path, Trainer<T>& trainer) {
  Reader r(path);
  Net<T>& net = trainer.net();
  Optimizer<T>& opt = trainer.optimizer();
  const TrainConfig& cfg = trainer.config();

  // The run must be the same run: anything that changes the numbers is compared.
  const std::string dtype = r.get("dtype", json::value_t::string).get<std::string>();
  if (dtype != npy_dtype_of<T>())
    r.fail("checkpoint holds " + dtype + " values, this run trains in " + npy_dtype_of<T>());
  json arch = model_detail::model_architecture(r.file(), path);
  if (arch != net.config())
    r.fail("checkpoint is for the net " + arch.dump() + ", this run builds " + net.config().dump());
  TrainConfig saved = train_config_from_json(r.get("train_config", json::value_t::object));
  auto mismatch = [&](const std::string& what, const std::string& in_file, const std::string& now) {
    r.fail("checkpoint was trained with " + what + " " + in_file + ", this run has " + now);
  };
  if (optimizer_json(saved.optimizer) != optimizer_json(cfg.optimizer))
    mismatch("the optimizer", optimizer_json(saved.optimizer).dump(), optimizer_json(cfg.optimizer).dump());
  if (saved.mini_batch_size != cfg.mini_batch_size)
    mismatch("mini-batch size", std::to_string(saved.mini_batch_size), std::to_string(cfg.mini_batch_size));
  if (saved.with_replacement != cfg.with_replacement)
    mismatch("with_replacement", saved.with_replacement ? "true" : "false", cfg.with_replacement ? "true" : "false");
  if (saved.gradient != cfg.gradient) mismatch("gradient", saved.gradient, cfg.gradient);
  const std::size_t train_size = r.count("train_size");
  if (train_size != trainer.train_size())
    mismatch("a training set of", std::to_string(train_size) + " rows", std::to_string(trainer.train_size()) + " rows");
  if (r.meta().contains("train_digest")) {
    const std::string saved_digest = r.get("train_digest", json::value_t::string).get<std::string>();
    const std::string digest = train_set_digest(trainer.train_set());
    if (saved_digest != digest)
      r.fail("checkpoint was trained on other data (training set digest " + saved_digest + "), this run's " +
             std::to_string(trainer.train_size()) + " training rows give " + digest +
             "; resume with the data it was written with");
  }
  const std::size_t iteration = r.count("iteration");
  if (iteration > trainer.max_iter())
    r.fail("checkpoint is at iteration " + std::to_string(iteration) + ", past this run's last iteration (" +
           std::to_string(trainer.max_iter()) + "); give more --iters or --epochs");

  // Stage every value; nothing is assigned until all of them have been read and checked.
  std::vector<Tensor<T>> model = model_detail::stage_model_tensors(net, r.file(), path, /*exact_dtype=*/true);
  const bool has_opt_state = r.get("optimizer_state", json::value_t::boolean).get<bool>();
  std::vector<Buffer<T>> opt_targets;
  std::vector<Tensor<T>> opt_values;
  if (has_opt_state) {
    // Zero state is what a fresh optimiser starts from, so allocating it changes nothing yet.
    opt.init_state(net.params());
    opt_targets = opt.state();
    for (const Buffer<T>& b : opt_targets) opt_values.push_back(r.tensor<T>(optim_member(b.name), b.tensor->shape()));
  }
  for (const NpyMember& m : r.file().members())
    if (const std::string& name = m.name; name.rfind(kPrefix + "optim.", 0) == 0 &&
        std::none_of(opt_targets.begin(), opt_targets.end(),
                     [&, n = name](const Buffer<T>& b) { return optim_member(b.name) == n; }))
      r.fail("unexpected optimiser state " + name + " for optimizer " + opt.name());
  const auto opt_iterations = r.get("optimizer_iterations", json::value_t::number_unsigned).get<std::uint64_t>();
  const double opt_lr = r.get("optimizer_lr", json::value_t::number_float).get<double>();
  auto rng = r.rng_state(kPrefix + "rng.trainer");
  auto dropouts = dropout_layers(net);
  std::vector<std::vector<std::uint64_t>> dropout_rngs;
  for (auto& [name, d] : dropouts) dropout_rngs.push_back(r.rng_state(name));
  auto perm64 = r.words(kPrefix + "perm", 0);
  std::vector<std::size_t> perm(perm64.begin(), perm64.end());
  const std::size_t perm_pos = r.count("perm_pos");
  History h;
  h.train_loss = r.doubles(kPrefix + "history.train_loss");
  auto epoch_iter = r.words(kPrefix + "history.epoch_iter", 0);
  h.epoch_iter.assign(epoch_iter.begin(), epoch_iter.end());
  h.train_acc = r.doubles(kPrefix + "history.train_acc");
  h.test_acc = r.doubles(kPrefix + "history.test_acc");
  h.seconds = r.get("history_seconds", json::value_t::number_float).get<double>();
  if (h.train_loss.size() > iteration || h.train_acc.size() != h.epoch_iter.size() ||
      h.test_acc.size() != h.epoch_iter.size())
    r.fail("inconsistent history: " + std::to_string(h.train_loss.size()) + " losses for " +
           std::to_string(iteration) + " iterations, " + std::to_string(h.epoch_iter.size()) + " evaluations with " +
           std::to_string(h.train_acc.size()) + " train and " + std::to_string(h.test_acc.size()) + " test accuracies");

  // Commit. set_permutation is the only step that checks (and may throw), so it goes first.
  try {
    trainer.set_permutation(std::move(perm), perm_pos);
  } catch (const std::exception& e) {
    r.fail(std::string("array ") + kPrefix + "perm: " + e.what());
  }
  model_detail::commit_model_tensors(net, model);
  for (std::size_t i = 0; i < opt_targets.size(); ++i)
    std::copy(opt_values[i].begin(), opt_values[i].end(), opt_targets[i].tensor->begin());
  opt.set_iterations(opt_iterations);
  opt.lr = opt_lr;
  trainer.rng().set_state(rng);
  for (std::size_t i = 0; i < dropouts.size(); ++i) dropouts[i].second->rng().set_state(dropout_rngs[i]);
  trainer.history() = std::move(h);
  trainer.set_current_iter(iteration);
}

template void save_checkpoint<float>(const std::string&, Trainer<float>&, const json&);
template void save_checkpoint<double>(const std::string&, Trainer<double>&, const json&);
template void load_checkpoint<float>(const std::string&, Trainer<float>&);
template void load_checkpoint<double>(const std::string&, Trainer<double>&);

}  // namespace dlfs
