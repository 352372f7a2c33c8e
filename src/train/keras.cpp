#include "dlfs/keras.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <limits>
#include <map>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "dlfs/train/progress.hpp"

namespace dlfs::keras {

namespace {

std::string lower(const std::string& s) {
  std::string out;
  for (char c : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string with_commas(std::size_t v) {
  const std::string d = std::to_string(v);
  std::string s;
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (i && (d.size() - i) % 3 == 0) s += ',';
    s += d[i];
  }
  return s;
}

// "(N, 784)" for a per-sample shape (784): how x must look.
std::string batch_shape_str(const Shape& per_sample, const std::string& n = "N") {
  std::string s = "(" + n;
  for (std::size_t d : per_sample) s += ", " + std::to_string(d);
  return s + ")";
}

// Keras's layer names: dense, dense_1, batch_normalization, ...
std::string keras_name(const std::string& kind, std::map<std::string, int>& seen) {
  std::string snake;
  for (char c : kind) {
    if (std::isupper(static_cast<unsigned char>(c)) && !snake.empty()) snake += '_';
    snake += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  const int k = seen[snake]++;
  return k == 0 ? snake : snake + "_" + std::to_string(k);
}

const double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

// --- Layers ---

LayerSpec Dense(std::size_t units, const std::string& activation, std::size_t input_dim,
                const std::string& kernel_initializer) {
  LayerSpec s;
  s.kind = "Dense";
  s.units = units;
  s.activation = activation;
  s.kernel_initializer = kernel_initializer;
  if (input_dim) s.input_shape = {input_dim};
  return s;
}

LayerSpec Activation(const std::string& activation) {
  LayerSpec s;
  s.kind = "Activation";
  s.activation = activation;
  return s;
}

LayerSpec BatchNormalization(double momentum) {
  LayerSpec s;
  s.kind = "BatchNormalization";
  s.momentum = momentum;
  return s;
}

LayerSpec Dropout(double rate) {
  LayerSpec s;
  s.kind = "Dropout";
  s.rate = rate;
  return s;
}

LayerSpec Flatten(const Shape& input_shape) {
  LayerSpec s;
  s.kind = "Flatten";
  s.input_shape = input_shape;
  return s;
}

LayerSpec Input(const Shape& shape) {
  LayerSpec s;
  s.kind = "Input";
  s.input_shape = shape;
  return s;
}

// --- Optimisers ---

OptimizerSpec SGD(double learning_rate, double momentum, bool nesterov) {
  OptimizerSpec o;
  o.name = momentum == 0 ? "sgd" : nesterov ? "nesterov" : "momentum";
  o.lr = learning_rate;
  o.momentum = momentum;
  return o;
}

OptimizerSpec Adam(double learning_rate, double beta_1, double beta_2) {
  OptimizerSpec o;
  o.name = "adam";
  o.lr = learning_rate;
  o.beta1 = beta_1;
  o.beta2 = beta_2;
  return o;
}

OptimizerSpec RMSprop(double learning_rate, double rho) {
  OptimizerSpec o;
  o.name = "rmsprop";
  o.lr = learning_rate;
  o.decay_rate = rho;
  return o;
}

OptimizerSpec Adagrad(double learning_rate) {
  OptimizerSpec o;
  o.name = "adagrad";
  o.lr = learning_rate;
  return o;
}

OptimizerSpec optimizer_from_name(const std::string& name) {
  const std::string n = lower(name);
  if (n == "sgd") return SGD();
  if (n == "adam") return Adam();
  if (n == "rmsprop") return RMSprop();
  if (n == "adagrad") return Adagrad();
  if (n == "momentum") return SGD(0.01, 0.9);
  if (n == "nesterov") return SGD(0.01, 0.9, true);
  throw std::invalid_argument("compile: unknown optimizer '" + name +
                              "' (accepted: sgd, adam, rmsprop, adagrad, momentum, nesterov, or an OptimizerSpec "
                              "such as SGD(0.01))");
}

// --- Sequential ---

template <class T>
Sequential<T>::Sequential(std::uint64_t seed) : seed_(seed), rng_(seed ^ 0x5107f1e5u) {}

template <class T>
Sequential<T>::Sequential(std::initializer_list<LayerSpec> layers, std::uint64_t seed) : Sequential(seed) {
  for (const LayerSpec& l : layers) add(l);
}

template <class T>
void Sequential<T>::add(const LayerSpec& layer) {
  if (net_)
    throw std::runtime_error("Sequential::add(" + describe(layer) +
                             "): the model is already built (by compile, fit, evaluate, predict or net()); add every "
                             "layer before that");
  if (layer.kind == "Input") {
    if (!specs_.empty()) throw std::invalid_argument("Sequential::add: Input(shape) must come before every layer");
  }
  // Nothing changes unless the layer is accepted.
  Shape input = input_shape_;
  if (layer.kind == "Input" || (specs_.empty() && !layer.input_shape.empty())) {
    for (std::size_t d : layer.input_shape)
      if (d == 0) throw std::invalid_argument("Sequential::add: input shape " + shape_str(layer.input_shape) + " has a zero dimension");
    if (layer.input_shape.empty()) throw std::invalid_argument("Sequential::add: Input needs a shape, e.g. Input({784})");
    if (!input.empty() && input != layer.input_shape)
      throw ShapeError("Sequential::add(" + describe(layer) + "): declares input shape " + shape_str(layer.input_shape) +
                       " but the model's input is " + shape_str(input));
    input = layer.input_shape;
    if (layer.kind == "Input") {
      input_shape_ = input;
      return;
    }
  }
  std::vector<LayerSpec> next = specs_;
  next.push_back(layer);
  if (!input.empty()) {
    plan_sequential(next, input, false);
  } else {
    // Shapes are unknown until fit sees x: check the names and numbers at least.
    for (auto& s : next) s.input_shape.clear();
    plan_sequential(next, {1}, false);
  }
  input_shape_ = input;
  specs_ = std::move(next);
}

template <class T>
void Sequential<T>::build(const Shape& input_shape) {
  net_ = std::make_unique<SequentialNet<T>>(specs_, input_shape, seed_);
  input_shape_ = input_shape;
}

template <class T>
SequentialNet<T>& Sequential<T>::net() {
  if (!net_) {
    if (input_shape_.empty())
      throw std::runtime_error("Sequential: the input shape is unknown; declare it on the first layer (Dense(units, "
                               "activation, input_dim), Flatten({28, 28}) or Input({784})) or call fit first");
    build(input_shape_);
  }
  return *net_;
}

template <class T>
Optimizer<T>& Sequential<T>::optimizer() {
  if (!optimizer_) throw std::runtime_error("Sequential: the model is not compiled; call compile(optimizer, loss) first");
  return *optimizer_;
}

template <class T>
void Sequential<T>::compile(const OptimizerSpec& optimizer, const std::string& loss,
                            const std::vector<std::string>& metrics) {
  const std::string l = lower(loss);
  if (l != "categorical_crossentropy" && l != "sparse_categorical_crossentropy")
    throw std::invalid_argument("compile: unknown loss '" + loss +
                                "' (accepted: categorical_crossentropy for one-hot y, sparse_categorical_crossentropy "
                                "for class indices)");
  bool acc = false;
  for (const std::string& m : metrics) {
    const std::string n = lower(m);
    if (n == "accuracy" || n == "acc" || n == "categorical_accuracy" || n == "sparse_categorical_accuracy")
      acc = true;
    else
      throw std::invalid_argument("compile: unknown metric '" + m + "' (accepted: accuracy)");
  }
  auto opt = make_optimizer<T>(optimizer);  // throws on a bad name or hyper-parameter
  if (!net_ && !input_shape_.empty()) build(input_shape_);
  optimizer_ = std::move(opt);
  loss_ = l;
  track_accuracy_ = acc;
}

template <class T>
void Sequential<T>::compile(const std::string& optimizer, const std::string& loss,
                            const std::vector<std::string>& metrics) {
  compile(optimizer_from_name(optimizer), loss, metrics);
}

template <class T>
void Sequential<T>::check_x(const Tensor<T>& x, const std::string& where) {
  const Shape& s = x.shape();
  if (s.size() != input_shape_.size() + 1 || !std::equal(input_shape_.begin(), input_shape_.end(), s.begin() + 1))
    throw ShapeError(where + ": expected " + batch_shape_str(input_shape_) + ", got " + shape_str(s));
  if (s[0] == 0) throw std::invalid_argument(where + ": no rows (shape " + shape_str(s) + ")");
}

template <class T>
std::vector<std::uint32_t> Sequential<T>::labels_of(const Tensor<T>& y, std::size_t n, const std::string& where) {
  const std::size_t C = net().num_classes();
  const Shape& s = y.shape();
  std::vector<std::uint32_t> labels(n);
  if (loss_ == "categorical_crossentropy") {
    if (s != Shape{n, C})
      throw ShapeError(where + ": categorical_crossentropy expects one-hot y of shape (" + std::to_string(n) + ", " +
                       std::to_string(C) + "), got " + shape_str(s) +
                       (s.size() == 1 ? "; for class indices use sparse_categorical_crossentropy" : ""));
    // SoftmaxWithLoss reads a one-hot row as its argmax, so soft labels would be silently wrong.
    for (std::size_t i = 0; i < n; ++i) {
      const T* r = y.data() + i * C;
      std::size_t ones = 0, hot = 0;
      for (std::size_t c = 0; c < C; ++c) {
        if (r[c] == T(1)) ++ones, hot = c;
        else if (r[c] != T(0)) ones = C + 1;
      }
      if (ones != 1) throw std::invalid_argument(where + ": row " + std::to_string(i) + " of y is not one-hot");
      labels[i] = static_cast<std::uint32_t>(hot);
    }
  } else {
    if (!(s == Shape{n} || s == Shape{n, 1}))
      throw ShapeError(where + ": sparse_categorical_crossentropy expects class indices y of shape " +
                       shape_str(Shape{n}) + ", got " + shape_str(s) +
                       (s.size() == 2 && s[1] == C ? "; for one-hot labels use categorical_crossentropy" : ""));
    for (std::size_t i = 0; i < n; ++i) {
      const double v = double(y[i]);
      if (!(v >= 0 && v < double(C) && v == std::floor(v)))
        throw std::invalid_argument(where + ": y[" + std::to_string(i) + "] = " + std::to_string(v) +
                                    " is not a class index in [0, " + std::to_string(C) + ")");
      labels[i] = static_cast<std::uint32_t>(v);
    }
  }
  return labels;
}

namespace {

template <class T>
std::size_t count_correct(const Tensor<T>& probs, const std::uint32_t* labels, std::size_t n) {
  const std::size_t C = probs.dim(-1);
  std::size_t correct = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const T* r = probs.data() + i * C;
    correct += static_cast<std::size_t>(std::max_element(r, r + C) - r) == labels[i];
  }
  return correct;
}

// Rows idx[0..n) of x into xb (per-sample shape kept) and their labels into tb.
template <class T>
void gather(const Tensor<T>& x, const std::vector<std::uint32_t>& labels, const std::size_t* idx, std::size_t n,
            const Shape& sample, Tensor<T>& xb, Tensor<T>& tb) {
  Shape bs{n};
  bs.insert(bs.end(), sample.begin(), sample.end());
  xb.resize(bs);
  tb.resize({n});
  const std::size_t D = x.size() / x.dim(0);
  for (std::size_t i = 0; i < n; ++i) {
    std::memcpy(xb.data() + i * D, x.data() + idx[i] * D, D * sizeof(T));
    tb[i] = static_cast<T>(labels[idx[i]]);
  }
}

}  // namespace

template <class T>
Evaluation Sequential<T>::run_eval(const Tensor<T>& x, const std::vector<std::uint32_t>& labels, std::size_t begin,
                                   std::size_t end, std::size_t batch_size) {
  if (batch_size == 0) throw std::invalid_argument("Sequential: batch_size must be at least 1, got 0");
  double loss_sum = 0;
  std::size_t correct = 0;
  for (std::size_t b = begin; b < end; b += batch_size) {
    const std::size_t n = std::min(batch_size, end - b);
    order_.resize(n);
    std::iota(order_.begin(), order_.end(), b);
    gather(x, labels, order_.data(), n, input_shape_, xb_, tb_);
    loss_sum += double(net_->loss(xb_, tb_, false)) * double(n);
    correct += count_correct(net_->last_layer().output(), labels.data() + b, n);
  }
  const double N = double(end - begin);
  return {loss_sum / N, track_accuracy_ ? double(correct) / N : kNaN};
}

template <class T>
History Sequential<T>::fit(const Tensor<T>& x, const Tensor<T>& y, const FitOptions<T>& o) {
  if (!optimizer_)
    throw std::runtime_error("Sequential::fit: the model is not compiled; call compile(optimizer, loss, metrics) first");
  if (o.batch_size == 0) throw std::invalid_argument("Sequential::fit: batch_size must be at least 1, got 0");
  if (!(o.validation_split >= 0 && o.validation_split < 1))
    throw std::invalid_argument("Sequential::fit: validation_split must be in [0, 1), got " +
                                std::to_string(o.validation_split));
  if (o.validation_split > 0 && o.validation_data)
    throw std::invalid_argument("Sequential::fit: give validation_split or validation_data, not both");
  if (o.validation_data && !o.validation_data.y)
    throw std::invalid_argument("Sequential::fit: validation_data needs both x and y");
  // Without a declared input shape, the first fit decides it (Keras's deferred build).
  if (!net_ && input_shape_.empty() && x.ndim() >= 2) build(Shape(x.shape().begin() + 1, x.shape().end()));
  net();
  check_x(x, "Sequential::fit: x");
  const std::size_t N = x.dim(0);
  const std::vector<std::uint32_t> labels = labels_of(y, N, "Sequential::fit: y");

  // Keras: split_at = int(N * (1 - validation_split)); the tail is held out.
  const std::size_t n_train = o.validation_split > 0 ? std::size_t(double(N) * (1 - o.validation_split)) : N;
  if (n_train == 0 || (o.validation_split > 0 && n_train == N))
    throw std::invalid_argument("Sequential::fit: validation_split " + std::to_string(o.validation_split) + " of " +
                                std::to_string(N) + " rows leaves " + std::to_string(n_train) + " for training and " +
                                std::to_string(N - n_train) + " for validation");
  const Tensor<T>* vx = o.validation_data ? o.validation_data.x : (n_train < N ? &x : nullptr);
  std::vector<std::uint32_t> vlabels;
  std::size_t v_begin = 0, v_end = 0;
  if (o.validation_data) {
    check_x(*vx, "Sequential::fit: validation_data x");
    vlabels = labels_of(*o.validation_data.y, vx->dim(0), "Sequential::fit: validation_data y");
    v_end = vx->dim(0);
  } else if (vx) {
    vlabels = labels;
    v_begin = n_train;
    v_end = N;
  }

  History h;
  auto t0 = std::chrono::steady_clock::now();
  const std::size_t steps = (n_train + o.batch_size - 1) / o.batch_size;  // ceil, as Keras
  std::vector<std::size_t> order(n_train);
  std::iota(order.begin(), order.end(), std::size_t(0));
  for (std::size_t epoch = 0; epoch < o.epochs && !h.run.diverged; ++epoch) {
    if (o.shuffle) order = rng_.permutation(n_train);
    char label[48];
    std::snprintf(label, sizeof label, "Epoch %zu/%zu", epoch + 1, o.epochs);
    Progress progress(steps, label, o.verbose == 1);
    auto e0 = std::chrono::steady_clock::now();
    double loss_sum = 0;
    std::size_t correct = 0, seen = 0;
    for (std::size_t s = 0; s < steps; ++s) {
      const std::size_t b = s * o.batch_size, n = std::min(o.batch_size, n_train - b);
      gather(x, labels, order.data() + b, n, input_shape_, xb_, tb_);
      const double l = double(net_->gradient(xb_, tb_));
      if (!std::isfinite(l)) {
        h.run.diverged = true;
        h.run.stop_reason = "training diverged at epoch " + std::to_string(epoch + 1) + ", batch " +
                            std::to_string(s + 1) + " (loss = " + std::to_string(l) +
                            "); try a smaller learning rate";
        break;
      }
      // Keras reports the loss and accuracy of the batches as they were trained (before each update).
      const Tensor<T>& probs = net_->last_layer().output();
      for (std::size_t i = 0; i < n; ++i) {
        const T* r = probs.data() + i * probs.dim(-1);
        correct += static_cast<std::size_t>(std::max_element(r, r + probs.dim(-1)) - r) == labels[order[b + i]];
      }
      optimizer_->update(net_->params());
      loss_sum += l * double(n);
      seen += n;
      h.run.train_loss.push_back(l);
      progress.update(s + 1, loss_sum / double(seen));
    }
    if (h.run.diverged) {
      progress.finish();
      if (o.verbose) std::fprintf(stderr, "%s\n", h.run.stop_reason.c_str());
      break;
    }
    h.epoch.push_back(int(epoch));
    h.loss.push_back(loss_sum / double(seen));
    h.accuracy.push_back(track_accuracy_ ? double(correct) / double(seen) : kNaN);
    if (vx) {
      Evaluation v = run_eval(*vx, vlabels, v_begin, v_end, std::max<std::size_t>(o.batch_size, 1000));
      h.val_loss.push_back(v.loss);
      h.val_accuracy.push_back(v.accuracy);
    }
    h.run.epoch_iter.push_back(h.run.train_loss.size());
    h.run.train_acc.push_back(h.accuracy.back());
    h.run.test_acc.push_back(vx ? h.val_accuracy.back() : kNaN);

    if (o.verbose) {
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - e0).count();
      char buf[256];
      int len = std::snprintf(buf, sizeof buf, "%s - %zu steps - %.2fs - loss: %.4f", label, steps, secs, h.loss.back());
      if (track_accuracy_) len += std::snprintf(buf + len, sizeof buf - len, " - accuracy: %.4f", h.accuracy.back());
      if (vx) {
        len += std::snprintf(buf + len, sizeof buf - len, " - val_loss: %.4f", h.val_loss.back());
        if (track_accuracy_) std::snprintf(buf + len, sizeof buf - len, " - val_accuracy: %.4f", h.val_accuracy.back());
      }
      if (o.verbose == 1) {
        progress.line(buf);
      } else {
        std::printf("%s\n", buf);
        std::fflush(stdout);
      }
    }
  }
  h.run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return h;
}

template <class T>
Evaluation Sequential<T>::evaluate(const Tensor<T>& x, const Tensor<T>& y, std::size_t batch_size) {
  if (!optimizer_)
    throw std::runtime_error("Sequential::evaluate: the model is not compiled; call compile(optimizer, loss, metrics) "
                             "first (the loss comes from compile)");
  net();
  check_x(x, "Sequential::evaluate: x");
  const std::vector<std::uint32_t> labels = labels_of(y, x.dim(0), "Sequential::evaluate: y");
  return run_eval(x, labels, 0, x.dim(0), batch_size);
}

template <class T>
Tensor<T> Sequential<T>::predict(const Tensor<T>& x, std::size_t batch_size) {
  if (batch_size == 0) throw std::invalid_argument("Sequential::predict: batch_size must be at least 1, got 0");
  if (!net_ && input_shape_.empty() && x.ndim() >= 2) build(Shape(x.shape().begin() + 1, x.shape().end()));
  net();
  check_x(x, "Sequential::predict: x");
  const std::size_t N = x.dim(0), C = net_->num_classes();
  const std::size_t D = x.size() / N;
  Tensor<T> out({N, C});
  Shape bs{0};
  bs.insert(bs.end(), input_shape_.begin(), input_shape_.end());
  for (std::size_t b = 0; b < N; b += batch_size) {
    const std::size_t n = std::min(batch_size, N - b);
    bs[0] = n;
    xb_.resize(bs);
    std::memcpy(xb_.data(), x.data() + b * D, n * D * sizeof(T));
    const Tensor<T>& scores = net_->predict(xb_, false);  // (n, C), before the fused softmax
    for (std::size_t i = 0; i < n; ++i) {
      const T* s = scores.data() + i * C;
      T* p = out.data() + (b + i) * C;
      const T m = *std::max_element(s, s + C);  // subtract the max so exp cannot overflow
      double sum = 0;
      for (std::size_t c = 0; c < C; ++c) sum += double(p[c] = std::exp(s[c] - m));
      for (std::size_t c = 0; c < C; ++c) p[c] = static_cast<T>(double(p[c]) / sum);
    }
  }
  return out;
}

template <class T>
std::string Sequential<T>::summary_text() {
  if (input_shape_.empty())
    throw std::runtime_error("Sequential::summary: the model is not built yet; declare the input shape on the first "
                             "layer (Dense(units, activation, input_dim), Flatten({28, 28}) or Input({784})) or call "
                             "fit first");
  const std::vector<LayerPlan> plans = plan_sequential(specs_, input_shape_, false);
  std::map<std::string, int> seen;
  struct Row {
    std::string layer, shape, params, names;
  };
  std::vector<Row> rows;
  std::size_t trainable = 0, non_trainable = 0;
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    const LayerPlan& p = plans[i];
    Row r;
    r.layer = keras_name(specs_[i].kind, seen) + " (" + specs_[i].kind + ")";
    r.shape = batch_shape_str(p.output_shape, "None");
    r.params = std::to_string(p.trainable + p.non_trainable);
    for (const std::string& n : p.param_names) r.names += (r.names.empty() ? "" : " ") + n;
    trainable += p.trainable;
    non_trainable += p.non_trainable;
    rows.push_back(r);
  }
  std::size_t w0 = 14, w1 = 14, w2 = 9;
  for (const Row& r : rows) {
    w0 = std::max(w0, r.layer.size());
    w1 = std::max(w1, r.shape.size());
    w2 = std::max(w2, r.params.size());
  }
  auto line = [&](const std::string& a, const std::string& b, const std::string& c, const std::string& d) {
    std::string s = " " + a + std::string(w0 + 3 - a.size(), ' ') + b + std::string(w1 + 3 - b.size(), ' ') + c +
                    std::string(w2 + 3 - c.size(), ' ') + d;
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s + "\n";
  };
  std::vector<std::string> lines{line("Layer (type)", "Output Shape", "Param #", "dlfs params")};
  for (const Row& r : rows) lines.push_back(line(r.layer, r.shape, r.params, r.names));
  std::size_t width = 0;
  for (const std::string& l : lines) width = std::max(width, l.size() + 1);  // + 1: the newline ends it
  std::ostringstream os;
  os << "Model: \"sequential\"\n" << std::string(width, '_') << "\n" << lines[0] << std::string(width, '=') << "\n";
  for (std::size_t i = 1; i < lines.size(); ++i) os << lines[i] << (i + 1 < lines.size() ? "\n" : "");
  os << std::string(width, '=') << "\n";
  os << "Total params: " << with_commas(trainable + non_trainable) << "\n";
  os << "Trainable params: " << with_commas(trainable) << "\n";
  os << "Non-trainable params: " << with_commas(non_trainable) << "\n";
  os << std::string(width, '_') << "\n";
  return os.str();
}

template <class T>
void Sequential<T>::summary(std::ostream& os) {
  os << summary_text();
}

template <class T>
void Sequential<T>::summary() {
  summary(std::cout);
}

template <class T>
std::size_t Sequential<T>::count_params() {
  if (input_shape_.empty())
    throw std::runtime_error("Sequential::count_params: the input shape is unknown (declare it on the first layer)");
  std::size_t n = 0;
  for (const LayerPlan& p : plan_sequential(specs_, input_shape_, false)) n += p.trainable + p.non_trainable;
  return n;
}

template class Sequential<float>;
template class Sequential<double>;

}  // namespace dlfs::keras
