#include "estimate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "dlfs/nets/layer_net.hpp"
#include "dlfs/train/trainer.hpp"

namespace dlfs::cli {

template <class T>
NetCost measure_net(Net<T>& net, const Tensor<T>& sample) {
  NetCost c;
  c.value_bytes = sizeof(T);
  for (Param<T>* p : net.params()) c.params += double(p->value.size());
  auto* ln = dynamic_cast<LayerNet<T>*>(&net);
  if (!ln) {  // the chapter-4 net: two dense layers, no layer list
    for (Param<T>* p : net.params())
      if (p->value.ndim() == 2) {
        c.forward_ops += 2.0 * double(p->value.size());
        c.values_kept += 3.0 * double(p->value.dim(1));
      }
    return c;
  }
  // Inference mode changes no state (no dropout draw, no running-statistics update), so the run's
  // numbers are the same as without this probe.
  const Tensor<T>* x = &sample;
  for (const auto& layer : ln->layers()) {
    const Tensor<T>& y = layer->forward(*x, false);
    c.values_kept += double(y.size());
    for (Param<T>* p : layer->params()) {
      const Tensor<T>& w = p->value;
      if (w.ndim() == 2) c.forward_ops += 2.0 * double(w.size());
      if (w.ndim() == 4) {  // (FN, C, FH, FW): every output position of every filter
        const double positions = double(y.size()) / double(w.dim(0));
        c.forward_ops += 2.0 * double(w.size()) * positions;  // (im2col columns go in small blocks: not kept)
      }
    }
    x = &y;
  }
  return c;
}

template NetCost measure_net<float>(Net<float>&, const Tensor<float>&);
template NetCost measure_net<double>(Net<double>&, const Tensor<double>&);

double training_bytes(const NetCost& c, std::size_t batch, const std::string& optimizer, double data_bytes) {
  const double slots = optimizer == "sgd" ? 0 : optimizer == "adam" ? 2 : 1;
  return (c.params * (3 + slots) + c.values_kept * (3.0 * double(batch) + 1000)) * double(c.value_bytes) + data_bytes;
}

namespace {
// The chapter-4 net's numerical gradient is incremental: a perturbed weight costs one hidden unit's
// share of a forward pass.
template <class T>
double incremental_share(Net<T>& net) {
  return net.name() == "two-layer-sigmoid" ? double(net.config().value("hidden_size", 50)) : 1.0;
}

template <class T>
NetCost measure_on(Net<T>& net, const Dataset& d) {
  Tensor<T> x, t;
  slice_batch(d, 0, 1, !net_wants_images(net.config()), x, t);
  return measure_net(net, x);
}
}  // namespace

template <class T>
void estimate_training(Net<T>& net, const Dataset& train, const Dataset& test, std::size_t iters, std::size_t batch,
                       std::size_t eval_samples, const std::string& optimizer, bool numerical, bool quiet, bool force) {
  const NetCost c = measure_on(net, train);
  const double per_epoch = std::max<double>(1, double(train.size() / std::max<std::size_t>(batch, 1)));
  const double epochs = std::ceil(double(iters) / per_epoch);
  auto rows = [&](const Dataset& d) { return double(eval_samples ? std::min(eval_samples, d.size()) : d.size()); };
  // The chapter-4 net's numerical gradient is incremental: one hidden unit's share of a forward.
  const double loss_eval = c.forward_ops * double(batch) / incremental_share(net);
  const double step = numerical ? 2 * c.params * loss_eval : 3 * c.forward_ops * double(batch);
  const double ops = double(iters) * step + epochs * (rows(train) + rows(test)) * c.forward_ops;
  // The images as bytes, their sparse copy for evaluation, and a batch's worth of rows.
  const double data = 3.0 * double(train.images.size() + test.images.size());
  report_estimate(thousands(c.params) + " parameters", training_bytes(c, batch, optimizer, data), ops / kOpsPerSecond,
                  quiet, force);
}

template void estimate_training<float>(Net<float>&, const Dataset&, const Dataset&, std::size_t, std::size_t,
                                       std::size_t, const std::string&, bool, bool, bool);

template <class T>
void estimate_numerical(Net<T>& net, const Dataset& d, std::size_t rows, bool book_loop, bool quiet, bool force) {
  const NetCost c = measure_on(net, d);
  const double evals = 2 * c.params, loss_eval = c.forward_ops * double(rows);
  const double ops = evals * loss_eval * (1 / incremental_share(net) + (book_loop ? 1 : 0));
  const double bytes = (c.params * 3 + c.values_kept * double(rows) * 2) * double(c.value_bytes) +
                       double(d.images.size() + d.labels.size());
  report_estimate("numerical gradient of " + thousands(c.params) + " parameters (" + thousands(evals) +
                      " loss evaluations of " + thousands(double(rows)) + " rows)",
                  bytes, ops / kOpsPerSecond, quiet, force);
}

template void estimate_numerical<float>(Net<float>&, const Dataset&, std::size_t, bool, bool, bool);
template void estimate_numerical<double>(Net<double>&, const Dataset&, std::size_t, bool, bool, bool);

std::string thousands(double n) {
  std::string s = std::to_string(static_cast<unsigned long long>(std::llround(std::max(0.0, n))));
  for (int i = int(s.size()) - 3; i > 0; i -= 3) s.insert(std::size_t(i), ",");
  return s;
}

std::string human_bytes(double b) {
  char buf[32];
  if (b >= 1e9)
    std::snprintf(buf, sizeof buf, "%.1f GB", b / 1e9);
  else
    std::snprintf(buf, sizeof buf, "%.0f MB", std::max(1.0, b / 1e6));
  return buf;
}

std::string human_seconds(double s) {
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%.0f s", std::max(1.0, s));
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%.1f min", s / 60);
  else
    std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
  return buf;
}

void report_estimate(const std::string& what, double bytes, double seconds, bool quiet, bool force) {
  if (bytes > kMaxEstimatedBytes && !force)
    throw std::invalid_argument("the run (" + what + ") needs about " + human_bytes(bytes) +
                                " of memory, more than the limit of " + thousands(kMaxEstimatedBytes / (1ull << 30)) +
                                " GiB; give --force to run it anyway");
  if (!quiet || bytes > double(1ull << 30) || seconds > 60) {
    std::fprintf(stderr, "estimate: %s, memory about %s, time about %s\n", what.c_str(), human_bytes(bytes).c_str(),
                 human_seconds(seconds).c_str());
    std::fflush(stderr);
  }
}

}  // namespace dlfs::cli
