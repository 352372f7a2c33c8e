#include "common.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "dlfs/data/mnist.hpp"
#include "dlfs/nets/registry.hpp"
#include "dlfs/train/model_file.hpp"

namespace dlfs::cli {

void add_data_flags(CLI::App* app, DataFlags& f) {
  app->add_option("--dataset", f.dataset, "mnist or fashion (Fashion-MNIST)")
      ->check(CLI::IsMember({"mnist", "fashion"}))
      ->capture_default_str();
  app->add_option("--data-root", f.data_root, "folder holding mnist/ (and fashion-mnist/)")
      ->check(non_empty_path())
      ->capture_default_str();
  app->add_option("--data", f.dir, "a folder with the four IDX files (overrides --dataset)")->check(non_empty_path());
}

DataSplit load_data(const DataFlags& f, bool test_only) {
  if (!f.dir.empty()) return load_mnist_dir(f.dir, test_only);
  return load_dataset(f.dataset, f.data_root, test_only);
}

void add_net_flags(CLI::App* app, NetFlags& f) {
  app->add_option("--net", f.net,
                  "two-layer (ch.5, ReLU), two-layer-sigmoid (ch.4), multi-layer, multi-layer-extend, simple-conv, "
                  "deep-conv")
      ->capture_default_str();
  app->add_option("--hidden", f.hidden, "hidden sizes, e.g. 50 or 100,100,100")
      ->delimiter(',')
      ->transform(whole_number(1, 1000000000));
  app->add_option("--weight-init-std,--init", f.weight_init_std, "a number, or he/relu, xavier/sigmoid");
  app->add_option("--activation", f.activation, "relu or sigmoid (multi-layer nets)")
      ->check(CLI::IsMember({"relu", "sigmoid"}))
      ->capture_default_str();
  app->add_flag("--batchnorm", f.batchnorm, "batch normalisation after each hidden Affine (multi-layer)");
  app->add_option("--dropout", f.dropout, "dropout ratio after each hidden activation (multi-layer); 0 = off");
  app->add_option("--weight-decay", f.weight_decay, "L2 weight decay lambda");
  app->add_flag("--force", f.force,
                "run a net past the size limits: 100 million weights (dense nets; never past 400 million) and "
                "4 GiB of estimated memory");
}

namespace {

// "1.5", "-1", "nan" rather than std::to_string's "1.500000".
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// Dense nets: every weight matrix of the chain input -> hidden... -> output. Refused above
// kLimitDenseWeights (0.4 GB in float) unless --force, and always above kMaxDenseWeights (1.6 GB),
// so a typo such as --hidden 100000,100000 is an error rather than an allocation that takes the
// machine down.
constexpr double kLimitDenseWeights = 1e8, kMaxDenseWeights = 4e8;

void require_dense_size(std::size_t input, const std::vector<long long>& hidden, std::size_t output, bool force) {
  double total = 0, prev = double(input);
  for (long long h : hidden) {
    total += prev * double(h);
    prev = double(h);
  }
  total += prev * double(output);
  if (total > kLimitDenseWeights && !force)
    throw std::invalid_argument("--hidden: the net would have " + num(total) + " weights, more than the limit of " +
                                num(kLimitDenseWeights) + "; --force lifts it (up to " + num(kMaxDenseWeights) + ")");
  if (total > kMaxDenseWeights)
    throw std::invalid_argument("--hidden: the net would have " + num(total) + " weights, expected at most " +
                                num(kMaxDenseWeights) + " even with --force");
}

}  // namespace

CLI::Validator whole_number(long long lo, unsigned long long hi) {
  auto check = [lo, hi](std::string& s) -> std::string {
    const char *b = s.data(), *e = s.data() + s.size();
    bool ok = false;
    if (lo >= 0) {
      unsigned long long v = 0;
      auto r = std::from_chars(b, e, v);
      ok = r.ec == std::errc() && r.ptr == e && v >= static_cast<unsigned long long>(lo) && v <= hi;
      if (ok) s = std::to_string(v);  // CLI11 then converts with base 0: "010" would be octal
    } else {
      long long v = 0;
      auto r = std::from_chars(b, e, v);
      ok = r.ec == std::errc() && r.ptr == e && v >= lo && (v < 0 || static_cast<unsigned long long>(v) <= hi);
      if (ok) s = std::to_string(v);
    }
    if (ok) return {};
    return "expected a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) + ", got " +
           (s.empty() ? "an empty string" : s);
  };
  return CLI::Validator(check, "", "whole_number");
}

CLI::Validator non_empty_path() {
  return CLI::Validator(
      [](std::string& s) -> std::string { return s.empty() ? "expected a path, got an empty string" : ""; }, "",
      "non_empty_path");
}

void require_positive(const std::string& flag, double v) {
  if (!std::isfinite(v) || v <= 0) throw std::invalid_argument(flag + ": expected a finite number > 0, got " + num(v));
}

void require_count(const std::string& flag, long long v, long long max) {
  if (v < 1 || v > max)
    throw std::invalid_argument(flag + ": expected a whole number from 1 to " + std::to_string(max) + ", got " +
                                std::to_string(v));
}

void require_fraction(const std::string& flag, double v) {
  if (!std::isfinite(v) || v < 0 || v >= 1)
    throw std::invalid_argument(flag + ": expected a number in [0, 1), got " + num(v));
}

nlohmann::json net_config(const NetFlags& f, std::size_t rows, std::size_t cols, std::size_t classes) {
  for (long long h : f.hidden) require_count("--hidden", h, 1000000000);
  require_fraction("--dropout", f.dropout);
  if (!std::isfinite(f.weight_decay) || f.weight_decay < 0)
    throw std::invalid_argument("--weight-decay: expected a finite number >= 0, got " + num(f.weight_decay));
  nlohmann::json c;
  c["net"] = f.net;
  const std::size_t input = rows * cols;
  // A number given as text ("0.01") becomes a number; "he" etc. stay names.
  auto init_value = [&](const std::string& dflt) -> nlohmann::json {
    std::string s = f.weight_init_std.empty() ? dflt : f.weight_init_std;
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(s, &used);
    } catch (const std::invalid_argument&) {
      return s;  // a name: he, relu, xavier, sigmoid (the net checks it)
    } catch (const std::out_of_range&) {
      throw std::invalid_argument("--weight-init-std: " + s + " is out of range");
    }
    if (used != s.size()) return s;
    require_positive("--weight-init-std", v);
    return v;
  };
  if (f.net == "two-layer" || f.net == "two-layer-sigmoid") {
    if (f.hidden.size() > 1)
      throw std::invalid_argument("--hidden: " + f.net + " has one hidden layer, got " +
                                  std::to_string(f.hidden.size()) + " sizes");
    c["input_size"] = input;
    c["hidden_size"] = f.hidden.empty() ? 50 : f.hidden[0];
    if (input > 0) require_dense_size(input, {c["hidden_size"].get<long long>()}, classes, f.force);
    c["output_size"] = classes;
    auto init = init_value("0.01");
    if (!init.is_number())
      throw std::invalid_argument("--weight-init-std: " + f.net + " takes a number, got '" + f.weight_init_std + "'");
    c["weight_init_std"] = init;
  } else if (f.net == "multi-layer" || f.net == "multi-layer-extend") {
    std::vector<long long> hidden = f.hidden.empty() ? std::vector<long long>(5, 100) : f.hidden;
    if (input > 0) require_dense_size(input, hidden, classes, f.force);
    c["input_size"] = input;
    c["hidden_size_list"] = hidden;
    c["output_size"] = classes;
    c["activation"] = f.activation;
    c["weight_init_std"] = init_value(f.activation);
    c["weight_decay_lambda"] = f.weight_decay;
    c["use_batchnorm"] = f.batchnorm;
    c["use_dropout"] = f.dropout > 0;
    c["dropout_ration"] = f.dropout > 0 ? f.dropout : 0.5;
  } else if (f.net == "simple-conv" || f.net == "deep-conv") {
    // The flattened conv output (4,320 for simple-conv on 28x28) times hidden is the big matrix.
    if (!f.hidden.empty() && f.hidden[0] > 10000)
      throw std::invalid_argument("--hidden: expected at most 10000 for " + f.net + ", got " +
                                  std::to_string(f.hidden[0]));
    c["input_dim"] = {1, rows, cols};
    c["output_size"] = classes;
    if (f.net == "simple-conv") {
      c["hidden_size"] = f.hidden.empty() ? 100 : f.hidden[0];
      auto init = init_value("0.01");
      if (init.is_number()) c["weight_init_std"] = init;
    } else if (!f.hidden.empty()) {
      c["hidden_size"] = f.hidden[0];
    }
  }
  // Any other name goes to make_net as is, which lists the known nets in its error.
  if ((f.batchnorm || f.dropout > 0 || f.weight_decay > 0) && f.net.rfind("multi-layer", 0) != 0)
    throw std::invalid_argument("--batchnorm, --dropout and --weight-decay need --net multi-layer, got --net " + f.net);
  return c;
}

void check_net_flags_against_model(const NetFlags& f, const std::string& model, const CLI::App& sub) {
  bool given = false;
  for (const char* flag : {"--net", "--hidden", "--weight-init-std", "--activation", "--batchnorm", "--dropout",
                           "--weight-decay"})
    given = given || sub.count(flag) > 0;
  if (!given) return;
  nlohmann::json arch;
  try {
    arch = read_model_config(model);
  } catch (const std::exception&) {
    return;  // no usable __config__: the flags are the architecture (load_model reports the rest)
  }
  const std::string file_net = arch.value("net", std::string("?"));
  // multi-layer and multi-layer-extend are one family: the file names whichever its options make.
  auto family = [](const std::string& n) { return n.rfind("multi-layer", 0) == 0 ? std::string("multi-layer") : n; };
  if (sub.count("--net") && family(f.net) != family(file_net))
    throw std::invalid_argument("--net " + f.net + ": " + model + " holds a " + file_net +
                                " net (its __config__ gives the architecture, which is used); leave out --net");
  std::fprintf(stderr, "dlfs: note: %s gives its own architecture (%s); the architecture flags are ignored\n",
               model.c_str(), file_net.c_str());
}

void check_net_flags(const NetFlags& f) {
  // A 0x0 shape skips the checks that depend on the images (the weight count); net_config makes
  // them for the real shape once the data is read.
  net_config(f, 0, 0, 0);
  try {
    require_known_net(f.net);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("--net: ") + e.what());
  }
}

}  // namespace dlfs::cli
