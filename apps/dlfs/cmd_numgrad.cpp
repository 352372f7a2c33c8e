// dlfs numgrad: times one numerical_gradient of a net on the first --batch training digits (the
// chapter-4 TwoLayerNet by default, whose numerical_gradient is computed incrementally), and
// compares it with backprop and, with --book, with the book's loop (Net::numerical_gradient).
// bench/run.sh uses it; it prints a JSON line with --json.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "commands.hpp"
#include "common.hpp"
#include "estimate.hpp"
#include "dlfs/linalg.hpp"
#include "dlfs/nets/registry.hpp"
#include "dlfs/train/trainer.hpp"

namespace dlfs::cli {
namespace {

struct NumgradFlags {
  DataFlags data;
  NetFlags net;
  long long batch = 100;
  std::string precision = "double";
  bool book = false;
  bool json = false;
  int threads = 0;
  unsigned long long seed = 0;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

template <class T>
nlohmann::json run_typed(NumgradFlags& f, const DataSplit& data) {
  nlohmann::json config = net_config(f.net, data.train.rows(), data.train.cols(), data.train.num_classes);
  auto net = make_net<T>(config, f.seed);
  const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(f.batch), data.train.size());
  Tensor<T> x, t;
  slice_batch(data.train, 0, n, !net_wants_images(net->config()), x, t);
  estimate_numerical(*net, data.train, n, f.book, /*quiet=*/false, f.net.force);

  auto grads = [&] {
    std::vector<Tensor<T>> g;
    for (auto* p : net->params()) g.push_back(p->grad);
    return g;
  };
  auto t0 = std::chrono::steady_clock::now();
  net->numerical_gradient(x, t);
  const double sec = seconds_since(t0);
  auto num = grads();
  net->gradient(x, t);
  auto back = grads();
  double max_grad = 0, max_diff = 0;
  for (std::size_t k = 0; k < num.size(); ++k)
    for (std::size_t i = 0; i < num[k].size(); ++i) {
      max_grad = std::max(max_grad, std::abs(double(back[k][i])));
      max_diff = std::max(max_diff, std::abs(double(num[k][i]) - double(back[k][i])));
    }
  std::size_t count = 0;
  for (auto& g : num) count += g.size();
  nlohmann::json j = {{"net", config},        {"precision", f.precision}, {"batch", n},
                      {"parameters", count},  {"seconds", sec},           {"threads", num_threads()},
                      {"max_abs_diff_vs_backprop", max_diff}, {"max_abs_backprop_grad", max_grad}};
  if (f.book) {
    t0 = std::chrono::steady_clock::now();
    net->Net<T>::numerical_gradient(x, t);  // the book's loop: two full losses per element
    j["book_loop_seconds"] = seconds_since(t0);
    auto book = grads();
    double d = 0;
    for (std::size_t k = 0; k < num.size(); ++k)
      for (std::size_t i = 0; i < num[k].size(); ++i) d = std::max(d, std::abs(double(num[k][i]) - double(book[k][i])));
    j["max_abs_diff_vs_book_loop"] = d;
  }
  return j;
}

int run(NumgradFlags& f) {
  require_count("--batch", f.batch, 100000);
  if (f.threads < 0 || f.threads > 1024)
    throw std::invalid_argument("--threads: expected 0 (all cores) to 1024, got " + std::to_string(f.threads));
  set_num_threads(f.threads);
  DataSplit data = load_data(f.data);
  nlohmann::json j = f.precision == "float" ? run_typed<float>(f, data) : run_typed<double>(f, data);
  if (f.json) {
    std::cout << j.dump() << std::endl;
  } else {
    std::printf("numerical gradient of %s (%s, %zu parameters) on %zu digits: %.3f s\n",
                j["net"]["net"].get<std::string>().c_str(), f.precision.c_str(), j["parameters"].get<std::size_t>(),
                j["batch"].get<std::size_t>(), j["seconds"].get<double>());
    std::printf("max |numerical - backprop| %.3g (largest |gradient| %.3g)\n", j["max_abs_diff_vs_backprop"].get<double>(),
                j["max_abs_backprop_grad"].get<double>());
    if (f.book)
      std::printf("book's loop: %.3f s, max |fast - book| %.3g\n", j["book_loop_seconds"].get<double>(),
                  j["max_abs_diff_vs_book_loop"].get<double>());
  }
  return 0;
}

Register reg([](CLI::App& app) {
  static NumgradFlags f;
  f.net.net = "two-layer-sigmoid";
  CLI::App* sub = app.add_subcommand("numgrad", "time one numerical gradient on a batch, compare with backprop");
  add_data_flags(sub, f.data);
  add_net_flags(sub, f.net);
  sub->add_option("--batch", f.batch, "digits in the batch (the first ones of the training set)")
      ->transform(whole_number(1, 100000))->capture_default_str();
  sub->add_option("--precision", f.precision, "double (as the book's float64 weights) or float")
      ->check(CLI::IsMember({"double", "float"}))
      ->capture_default_str();
  sub->add_flag("--book", f.book, "also time the book's loop (two full losses per parameter)");
  sub->add_option("--threads", f.threads, "threads, 0 = all cores")->transform(whole_number(0, 1024))->capture_default_str();
  sub->add_option("--seed", f.seed, "weight initialisation seed")->transform(whole_number(0, kAnySeed))->capture_default_str();
  sub->add_flag("--json", f.json, "print one JSON line");
  set_action(sub, [] { return run(f); });
});

}  // namespace
}  // namespace dlfs::cli
