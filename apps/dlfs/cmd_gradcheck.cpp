// dlfs gradcheck: the book's gradient_check.py. Backprop against numerical gradients, in double,
// on a few real training digits; exits 1 when any parameter is off by more than the tolerance.
#include <algorithm>
#include <cstdio>

#include "commands.hpp"
#include "common.hpp"
#include "estimate.hpp"
#include "dlfs/layers/fault.hpp"
#include "dlfs/nets/registry.hpp"
#include "dlfs/rng.hpp"
#include "dlfs/train/gradcheck.hpp"
#include "dlfs/train/trainer.hpp"

namespace dlfs::cli {
namespace {

struct GradcheckFlags {
  DataFlags data;
  NetFlags net;
  long long samples = 3;
  long long crop = 0;  // 0: 28x28 for dense nets, 12x12 centre crop for conv nets (keeps it quick)
  double tol = 1e-6;
  double rel_tol = 1e-2;
  unsigned long long seed = 0;
  std::string fault = "none";
};

// The centre size x size patch of each image (conv nets' numerical gradient on 28x28 inputs
// would take minutes; the layers are the same at any size).
Dataset crop_center(const Dataset& d, std::size_t n, std::size_t size) {
  Dataset out;
  out.num_classes = d.num_classes;
  out.images = Tensor<std::uint8_t>({n, size, size});
  std::size_t r0 = (d.rows() - size) / 2, c0 = (d.cols() - size) / 2;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t r = 0; r < size; ++r)
      for (std::size_t c = 0; c < size; ++c)
        out.images[(i * size + r) * size + c] = d.images[(i * d.rows() + r0 + r) * d.cols() + c0 + c];
    out.labels.push_back(d.labels[i]);
  }
  return out;
}

int run(GradcheckFlags& f) {
  require_count("--samples", f.samples, 1000);
  require_positive("--tol", f.tol);
  require_positive("--rel-tol", f.rel_tol);
  set_injected_fault(parse_fault(f.fault));
  DataSplit data = load_data(f.data);
  std::size_t n = static_cast<std::size_t>(std::min<long long>(f.samples, (long long)data.train.size()));
  bool conv = f.net.net == "simple-conv" || f.net.net == "deep-conv";
  std::size_t size = f.crop > 0 ? static_cast<std::size_t>(f.crop) : (conv ? 12 : data.train.rows());
  if (size > data.train.rows() || size > data.train.cols())
    throw std::invalid_argument("--crop: expected at most " + std::to_string(data.train.rows()) + ", got " +
                                std::to_string(size));
  Dataset batch = crop_center(data.train, n, size);
  NetFlags nf = f.net;
  if (nf.hidden.empty() && nf.net.rfind("multi-layer", 0) == 0) nf.hidden = {10, 10};  // keeps it seconds
  if (nf.hidden.empty() && conv) nf.hidden = {10};
  // SimpleConvNet's book init (0.01) leaves most conv outputs within a few h of the ReLU kink.
  if (nf.weight_init_std.empty() && nf.net == "simple-conv") nf.weight_init_std = "0.1";
  nlohmann::json config = net_config(nf, size, size, data.train.num_classes);
  // Fewer filters for conv nets: the check is about the layers, not how many filters they have,
  // and the numerical gradient costs two forward passes per parameter.
  if (f.net.net == "simple-conv") config["conv_param"] = {{"filter_num", 3}, {"filter_size", 3}};
  if (f.net.net == "deep-conv")
    for (int k = 1; k <= 6; ++k) config["conv_param_" + std::to_string(k)] = {{"filter_num", 2}};
  auto net = make_net<double>(config, f.seed);
  if (conv) {
    // A digit's background is exactly 0, so with the book's zero biases every background
    // position of a conv output sits exactly on the ReLU kink, where a central difference is not
    // a derivative. Random biases move them off it; the check is the same otherwise.
    Rng rng(f.seed + 1);
    for (Param<double>* p : net->params())
      if (p->name[0] == 'b')
        for (auto& v : p->value) v = 0.1 * rng.normal();
  }
  estimate_numerical(*net, batch, n, /*book_loop=*/false, /*quiet=*/false, f.net.force);
  Tensor<double> x, t;
  std::vector<std::size_t> idx(n);
  for (std::size_t i = 0; i < n; ++i) idx[i] = i;
  gather_batch(batch, idx.data(), n, !net_wants_images(net->config()), x, t);

  std::printf("gradient check: %s on %zu real training digits (%zux%zu), double precision\n",
              net->config().dump().c_str(), n, size, size);
  if (injected_fault() != Fault::None) std::printf("fault injected: %s\n", f.fault.c_str());
  auto rows = gradient_check(*net, x, t);
  bool ok = true;
  for (const auto& r : rows) {
    bool bad = !(r.mean_abs_diff <= f.tol) || !(r.max_rel_err <= f.rel_tol);
    ok = ok && !bad;
    std::printf("%-14s %-16s mean |backprop - numerical| %.3e   max rel err %.3e%s\n", r.name.c_str(),
                shape_str(r.shape).c_str(), r.mean_abs_diff, r.max_rel_err, bad ? "   FAIL" : "");
  }
  std::printf("%s (tolerance: mean %.0e, max relative %.0e)\n", ok ? "OK" : "FAILED", f.tol, f.rel_tol);
  if (!ok && conv)
    std::printf("note: with real digits a conv or pooling input can sit within h = 1e-4 of a ReLU kink or a\n"
                "max-pool tie, where the central difference is not the derivative; if only a few biases fail,\n"
                "try another --seed before suspecting the backward pass.\n");
  return ok ? 0 : 1;
}

Register reg([](CLI::App& app) {
  static GradcheckFlags f;
  CLI::App* sub = app.add_subcommand("gradcheck", "compare backprop with numerical gradients (gradient_check.py)");
  add_data_flags(sub, f.data);
  add_net_flags(sub, f.net);
  sub->add_option("--samples", f.samples, "training digits in the batch")->transform(whole_number(1, 1000))->capture_default_str();
  sub->add_option("--crop", f.crop, "use the centre NxN pixels (default 28, or 12 for conv nets)")
      ->transform(whole_number(1, 100000));
  sub->add_option("--tol", f.tol, "largest mean |backprop - numerical| accepted")->capture_default_str();
  sub->add_option("--rel-tol", f.rel_tol, "largest max relative error accepted")->capture_default_str();
  sub->add_option("--seed", f.seed, "weight initialisation seed")->transform(whole_number(0, kAnySeed))->capture_default_str();
  sub->add_option("--inject-fault", f.fault, "break a backward pass on purpose (to see the check fail): " + fault_names());
  set_action(sub, [] { return run(f); });
});

}  // namespace
}  // namespace dlfs::cli
