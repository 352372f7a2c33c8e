#include "dlfs/train/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "dlfs/linalg.hpp"
#include "dlfs/nets/layer_net.hpp"
#include "dlfs/nets/registry.hpp"
#include "dlfs/train/progress.hpp"
#include "score_rows.hpp"

namespace dlfs {

bool net_wants_images(const nlohmann::json& config) { return config.contains("input_dim"); }

using detail::goes_sparse;

template <class T>
double evaluate_accuracy(Net<T>& net, const Dataset& d, std::size_t limit, std::size_t chunk) {
  std::size_t n = limit ? std::min(limit, d.size()) : d.size();
  if (n == 0) return 0.0;
  if (chunk == 0) throw std::invalid_argument("evaluate_accuracy: expected a chunk of at least 1 row, got 0");
  std::size_t correct = 0;
  detail::score_chunks(net, d, n, chunk, [&](const Tensor<T>& y, std::size_t b, std::size_t e) {
    correct += detail::count_correct(y, d.labels.data() + b, e - b);
  });
  return double(correct) / double(n);
}

// Predicts as evaluate_accuracy does, so the grid of misclassified digits agrees with the accuracy.
template <class T>
std::vector<std::pair<std::size_t, int>> misclassified(Net<T>& net, const Dataset& d, std::size_t max_count) {
  std::vector<std::pair<std::size_t, int>> out;
  LayerNet<T>* sparse_net = detail::byte_input_net(net);
  Tensor<T> x, t;
  const std::size_t chunk = 1000;
  for (std::size_t b = 0; b < d.size() && out.size() < max_count; b += chunk) {
    std::size_t e = std::min(d.size(), b + chunk);
    const Tensor<T>& y = detail::predict_chunk(net, sparse_net, d, b, e, x, t);
    std::size_t classes = y.dim(-1);
    for (std::size_t i = 0; i < e - b && out.size() < max_count; ++i) {
      std::size_t p = detail::argmax_row(y.data() + i * classes, classes);
      if (p != d.labels[b + i]) out.emplace_back(b + i, static_cast<int>(p));
    }
  }
  return out;
}

template <class T>
Trainer<T>::Trainer(Net<T>& net, const Dataset& train, const Dataset& test, TrainConfig cfg, Callbacks cb)
    : net_(net), train_(train), test_(test), cfg_(std::move(cfg)), cb_(std::move(cb)),
      optimizer_(make_optimizer<T>(cfg_.optimizer)), rng_(cfg_.seed), flatten_(!net_wants_images(net.config())) {
  if (train_.size() == 0) throw std::invalid_argument("Trainer: the training set is empty");
  if (cfg_.mini_batch_size == 0) throw std::invalid_argument("Trainer: mini_batch_size must be at least 1, got 0");
  if (cfg_.gradient != "backprop" && cfg_.gradient != "numerical")
    throw std::invalid_argument("Trainer: gradient must be 'backprop' or 'numerical', got '" + cfg_.gradient + "'");
  // As the book: iter_per_epoch = max(train_size / batch_size, 1).
  iter_per_epoch_ = std::max<std::size_t>(train_.size() / cfg_.mini_batch_size, 1);
  max_iter_ = cfg_.epochs > 0 ? cfg_.epochs * iter_per_epoch_ : cfg_.iters;
  // Layer-by-layer checks where the net is made of layers; params and gradients otherwise.
  if (auto* ln = dynamic_cast<LayerNet<T>*>(&net_)) {
    ln->set_check_numerics(cfg_.check_numerics);
    if (flatten_ && ln->sparse_input()) sparse_net_ = ln;
  }
}

template <class T>
Trainer<T>::~Trainer() {
  if (eval_thread_.joinable()) eval_thread_.join();
}

template <class T>
void Trainer<T>::set_permutation(std::vector<std::size_t> perm, std::size_t pos) {
  if (!perm.empty()) {
    if (perm.size() != train_.size())
      throw std::invalid_argument("Trainer: permutation of " + std::to_string(perm.size()) +
                                  " indices, expected " + std::to_string(train_.size()) + " (the training set size)");
    std::vector<bool> seen(perm.size(), false);
    for (std::size_t v : perm) {
      if (v >= perm.size() || seen[v])
        throw std::invalid_argument("Trainer: not a permutation of 0.." + std::to_string(perm.size() - 1) +
                                    " (index " + std::to_string(v) + " out of range or repeated)");
      seen[v] = true;
    }
  }
  if (pos > perm.size())
    throw std::invalid_argument("Trainer: permutation position " + std::to_string(pos) + " is past its end (" +
                                std::to_string(perm.size()) + ")");
  perm_ = std::move(perm);
  perm_pos_ = pos;
}

template <class T>
void Trainer<T>::rethrow_numerics(const std::exception& e, std::size_t iteration) const {
  throw NumericsError(std::string(e.what()) + " at iteration " + std::to_string(iteration));
}

template <class T>
bool Trainer<T>::params_finite() {
  for (Param<T>* p : net_.params())
    for (T v : p->value)
      if (!std::isfinite(v)) return false;
  return true;
}

template <class T>
void Trainer<T>::draw_batch() {
  const std::size_t bs = cfg_.mini_batch_size;
  if (cfg_.with_replacement) {
    rng_.choice(train_.size(), bs, batch_idx_);
  } else {
    batch_idx_.resize(std::min(bs, train_.size()));
    for (auto& idx : batch_idx_) {
      if (perm_pos_ >= perm_.size()) {
        perm_ = rng_.permutation(train_.size());
        perm_pos_ = 0;
      }
      idx = perm_[perm_pos_++];
    }
  }
}

template <class T>
T Trainer<T>::batch_gradient() {
  const std::size_t n = batch_idx_.size();
  const std::size_t* idx = batch_idx_.data();
  if (sparse_net_ && cfg_.gradient == "backprop" && goes_sparse(*sparse_net_, train_, idx, 0, n)) {
    gather_labels(train_, idx, 0, n, t_batch_);
    return sparse_net_->gradient_sparse(
        n, [&](SparseRows<T>& xs, std::size_t r0, std::size_t r1) { sparse_batch_rows(train_, idx, 0, xs, r0, r1); },
        t_batch_);
  }
  // Counted on its bytes and found dense: the first Affine's count in floats would agree.
  if (sparse_net_ && cfg_.gradient == "backprop" && sparse_net_->sparse_max_density() < 1.0)
    sparse_net_->next_input_is_dense();
  gather_batch(train_, idx, n, flatten_, x_batch_, t_batch_);
  return cfg_.gradient == "numerical" ? net_.numerical_gradient(x_batch_, t_batch_) : net_.gradient(x_batch_, t_batch_);
}

template <class T>
void Trainer<T>::check_numerics(const char* what) {
  for (Param<T>* p : net_.params()) {
    const Tensor<T>& v = std::string(what) == "gradient of" ? p->grad : p->value;
    for (std::size_t i = 0; i < v.size(); ++i)
      if (!std::isfinite(v[i]))
        throw NumericsError("check-numerics: " + std::string(what) + " " + p->name + "[" + std::to_string(i) +
                            "] is " + (std::isnan(v[i]) ? "NaN" : "Inf") + " at iteration " + std::to_string(iter_ + 1));
  }
}

template <class T>
double Trainer<T>::train_step() {
  draw_batch();
  T loss;
  try {
    loss = batch_gradient();
  } catch (const NumericsError& e) {
    rethrow_numerics(e, iter_ + 1);
  }
  if (cfg_.check_numerics) {
    if (!std::isfinite(double(loss)))
      throw NumericsError(std::string("check-numerics: loss is ") + (std::isnan(loss) ? "NaN" : "Inf") +
                          " at iteration " + std::to_string(iter_ + 1));
    check_numerics("gradient of");
  }
  optimizer_->update(net_.params());
  if (cfg_.check_numerics) check_numerics("after the update, parameter");
  ++iter_;
  history_.train_loss.push_back(double(loss));
  return double(loss);
}

template <class T>
std::pair<double, double> Trainer<T>::accuracies() {
  try {
    const double tr = evaluate_cached(net_, sparse_net_, train_, train_cache_);
    return {tr, evaluate_cached(net_, sparse_net_, test_, test_cache_)};
  } catch (const NumericsError& e) {
    rethrow_numerics(e, iter_);
  }
}

template <class T>
void Trainer<T>::evaluate() {
  const auto [tr, te] = accuracies();
  history_.epoch_iter.push_back(iter_);
  history_.train_acc.push_back(tr);
  history_.test_acc.push_back(te);
}

template <class T>
double Trainer<T>::evaluate_cached(Net<T>& net, LayerNet<T>* ln, const Dataset& d, EvalCache& cache) {
  const std::size_t n = cfg_.evaluate_sample_num_per_epoch ? std::min(cfg_.evaluate_sample_num_per_epoch, d.size())
                                                            : d.size();
  if (n == 0) return 0.0;
  std::size_t correct = 0;
  detail::score_rows(net, ln, d, n, cache, [&](const Tensor<T>& y, std::size_t b, std::size_t e) {
    correct += detail::count_correct(y, d.labels.data() + b, e - b);
  });
  return double(correct) / double(n);
}

// The copy evaluated in the background: the same net rebuilt from its config, checked to have the
// same parameters and buffers (names and shapes), with the first layer's sparse setting.
template <class T>
bool Trainer<T>::make_eval_net() {
  if (eval_net_) return true;
  if (!cfg_.evaluate_in_background || cfg_.check_numerics || !sparse_net_ || num_threads() < 2) return false;
  std::unique_ptr<Net<T>> copy;
  try {
    copy = make_net<T>(net_.config(), 0);
  } catch (const std::exception&) {
    return false;  // a net the registry cannot rebuild is evaluated in place
  }
  auto* ln = dynamic_cast<LayerNet<T>*>(copy.get());
  if (!ln || !ln->sparse_input() || ln->sparse_max_density() != sparse_net_->sparse_max_density()) return false;
  auto p = net_.params(), q = copy->params();
  auto bp = net_.buffers(), bq = copy->buffers();
  if (p.size() != q.size() || bp.size() != bq.size()) return false;
  for (std::size_t i = 0; i < p.size(); ++i)
    if (p[i]->name != q[i]->name || p[i]->value.shape() != q[i]->value.shape()) return false;
  for (std::size_t i = 0; i < bp.size(); ++i)
    if (bp[i].name != bq[i].name || bp[i].tensor->shape() != bq[i].tensor->shape()) return false;
  eval_net_ = std::move(copy);
  return true;
}

template <class T>
void Trainer<T>::start_background_evaluation() {
  auto p = net_.params(), q = eval_net_->params();
  for (std::size_t i = 0; i < p.size(); ++i) q[i]->value = p[i]->value;
  auto bp = net_.buffers(), bq = eval_net_->buffers();
  for (std::size_t i = 0; i < bp.size(); ++i) *bq[i].tensor = *bp[i].tensor;
  eval_iter_ = iter_;
  eval_loss_ = history_.train_loss.empty() ? 0.0 : history_.train_loss.back();
  eval_done_.store(false);
  eval_error_ = nullptr;
  eval_pending_ = true;
  eval_thread_ = std::thread([this] {
    CoreLease lease;  // this thread computes alone; training keeps the other cores
    try {
      auto* ln = dynamic_cast<LayerNet<T>*>(eval_net_.get());
      eval_train_ = evaluate_cached(*eval_net_, ln, train_, train_cache_);
      eval_test_ = evaluate_cached(*eval_net_, ln, test_, test_cache_);
    } catch (...) {
      eval_error_ = std::current_exception();
    }
    eval_done_.store(true, std::memory_order_release);
  });
}

template <class T>
void Trainer<T>::finish_background_evaluation(Progress& progress) {
  if (!eval_pending_) return;
  eval_thread_.join();
  eval_pending_ = false;
  if (eval_error_) {
    try {
      std::rethrow_exception(eval_error_);
    } catch (const NumericsError& e) {
      rethrow_numerics(e, eval_iter_);
    }
  }
  record_evaluation(eval_iter_, eval_train_, eval_test_, eval_loss_, progress);
}

template <class T>
void Trainer<T>::record_evaluation(std::size_t iter, double train_acc, double test_acc, double loss,
                                   Progress& progress) {
  history_.epoch_iter.push_back(iter);
  history_.train_acc.push_back(train_acc);
  history_.test_acc.push_back(test_acc);
  const std::size_t epochs_total = (max_iter_ + iter_per_epoch_ - 1) / iter_per_epoch_;
  const std::size_t epoch = (iter + iter_per_epoch_ - 1) / iter_per_epoch_;
  if (cfg_.verbose) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "epoch %zu/%zu  iter %zu  loss %.4f  train acc %.4f  test acc %.4f", epoch,
                  epochs_total, iter, loss, train_acc, test_acc);
    progress.line(buf);
  }
  if (cb_.on_epoch) cb_.on_epoch(epoch, train_acc, test_acc);
}

template <class T>
const History& Trainer<T>::train() {
  auto t0 = std::chrono::steady_clock::now();
  double prior_seconds = history_.seconds;  // a resumed run keeps counting
  Progress progress(max_iter_, "train", cfg_.verbose);
  const bool background = make_eval_net();
  try {
    while (iter_ < max_iter_) {
      double loss = train_step();
      if (!std::isfinite(loss)) {
        history_.diverged = true;
        history_.stop_reason = "training diverged at iteration " + std::to_string(iter_) + " (loss is " +
                               (std::isnan(loss) ? "NaN" : "Inf") + "); try a smaller learning rate or weight scale";
        history_.train_loss.pop_back();
        break;
      }
      if (cb_.on_iteration) cb_.on_iteration(iter_, loss);
      progress.update(iter_, loss);
      if (eval_pending_ && eval_done_.load(std::memory_order_acquire)) finish_background_evaluation(progress);
      // Evaluate at the end of every epoch, and once more after the last iteration when it does
      // not fall on an epoch boundary, so the final accuracies describe the final weights.
      if (iter_ % iter_per_epoch_ == 0 || iter_ == max_iter_) {
        // The last update may have overflowed the weights while its loss (computed before it) was
        // still finite; accuracies of NaN weights would be meaningless numbers, so stop here.
        if (!params_finite()) {
          history_.diverged = true;
          history_.stop_reason = "training diverged at iteration " + std::to_string(iter_) +
                                 " (the weights became NaN or Inf); try a smaller learning rate or weight scale";
          break;
        }
        if (background) {
          finish_background_evaluation(progress);  // the previous epoch's, if still running
          start_background_evaluation();
        } else {
          const auto [tr, te] = accuracies();
          record_evaluation(iter_, tr, te, loss, progress);
        }
      }
      // A checkpoint must hold every evaluation made so far.
      if (cb_.on_step_end) {
        finish_background_evaluation(progress);
        cb_.on_step_end(iter_);
      }
    }
    finish_background_evaluation(progress);
  } catch (...) {
    if (eval_thread_.joinable()) eval_thread_.join();
    eval_pending_ = false;
    throw;
  }
  progress.finish();
  history_.seconds = prior_seconds + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return history_;
}

template double evaluate_accuracy<float>(Net<float>&, const Dataset&, std::size_t, std::size_t);
template double evaluate_accuracy<double>(Net<double>&, const Dataset&, std::size_t, std::size_t);
template std::vector<std::pair<std::size_t, int>> misclassified<float>(Net<float>&, const Dataset&, std::size_t);
template std::vector<std::pair<std::size_t, int>> misclassified<double>(Net<double>&, const Dataset&, std::size_t);
template class Trainer<float>;
template class Trainer<double>;

}  // namespace dlfs
