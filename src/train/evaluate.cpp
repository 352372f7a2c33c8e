#include "dlfs/train/evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "dlfs/nets/layer_net.hpp"
#include "score_rows.hpp"

namespace dlfs {

std::size_t Evaluation::correct() const {
  std::size_t c = 0;
  for (std::size_t k = 0; k < classes; ++k) c += at(k, k);
  return c;
}

std::size_t Evaluation::count(std::size_t label) const {
  std::size_t c = 0;
  for (std::size_t p = 0; p < classes; ++p) c += at(label, p);
  return c;
}

double Evaluation::accuracy() const { return n ? double(correct()) / double(n) : 0.0; }

double Evaluation::class_accuracy(std::size_t label) const {
  const std::size_t c = count(label);
  return c ? double(at(label, label)) / double(c) : std::numeric_limits<double>::quiet_NaN();
}

double Evaluation::mean_loss() const { return n ? loss_sum / double(n) : 0.0; }

Evaluation make_evaluation(std::size_t classes, std::size_t max_wrong) {
  if (classes == 0) throw std::invalid_argument("evaluation: expected at least 1 class, got 0");
  Evaluation e;
  e.classes = classes;
  e.confusion.assign(classes * classes, 0);
  e.max_wrong = max_wrong;
  return e;
}

namespace {

bool more_confident(const WrongPrediction& a, const WrongPrediction& b) {
  return a.probability != b.probability ? a.probability > b.probability : a.index < b.index;
}

}  // namespace

template <class T>
void add_scores(Evaluation& e, const T* scores, std::size_t rows, const std::uint8_t* labels, std::size_t first_index) {
  const std::size_t C = e.classes;
  std::vector<T> y(C);
  for (std::size_t r = 0; r < rows; ++r) {
    const T* x = scores + r * C;
    const std::size_t label = labels[r];
    if (label >= C)
      throw std::invalid_argument("evaluation: label " + std::to_string(label) + " of row " +
                                  std::to_string(first_index + r) + " is not a class in [0, " + std::to_string(C) + ")");
    for (std::size_t c = 0; c < C; ++c)
      if (!std::isfinite(x[c]))
        throw std::runtime_error("evaluation: the net's score for row " + std::to_string(first_index + r) +
                                 " is " + (std::isnan(x[c]) ? "NaN" : "Inf") +
                                 "; the model's weights are not finite or too large");
    // SoftmaxWithLoss<T>::forward's arithmetic, in the same order, so the mean loss is the net's.
    const T mx = *std::max_element(x, x + C);
    T sum = 0;
    for (std::size_t c = 0; c < C; ++c) sum += (y[c] = std::exp(x[c] - mx));
    const T inv = T(1) / sum;
    for (std::size_t c = 0; c < C; ++c) y[c] *= inv;
    e.loss_sum -= std::log(static_cast<double>(y[label]) + 1e-7);
    const std::size_t pred = detail::argmax_row(x, C);  // on the scores, as every accuracy in dlfs
    ++e.confusion[label * C + pred];
    ++e.n;
    if (pred != label && e.max_wrong > 0) {
      WrongPrediction w{first_index + r, int(label), int(pred), double(y[pred])};
      if (e.wrong.size() < e.max_wrong) {
        e.wrong.push_back(w);
        std::push_heap(e.wrong.begin(), e.wrong.end(), more_confident);  // least confident at the front
      } else if (more_confident(w, e.wrong.front())) {
        std::pop_heap(e.wrong.begin(), e.wrong.end(), more_confident);
        e.wrong.back() = w;
        std::push_heap(e.wrong.begin(), e.wrong.end(), more_confident);
      }
    }
  }
}

namespace {

std::string dims(const std::vector<std::size_t>& v) {
  std::string s = "(";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + (v.size() == 1 ? ",)" : ")");
}

// The net's declared input and output against the set, so a mismatch is one sentence rather than
// a ShapeError from inside a layer.
void check_fits(const nlohmann::json& c, const Dataset& d) {
  const std::string net = c.value("net", std::string("the net"));
  if (c.contains("input_dim") && c["input_dim"].is_array()) {
    const auto want = c["input_dim"].get<std::vector<std::size_t>>();
    const std::vector<std::size_t> got{1, d.rows(), d.cols()};
    if (want != got)
      throw std::invalid_argument("evaluate: " + net + " takes images of input_dim " + dims(want) + ", the test set has " +
                                  dims(got));
  } else if (c.contains("input_size") && c["input_size"].is_number_unsigned()) {
    const auto want = c["input_size"].get<std::size_t>();
    if (want != d.pixels())
      throw std::invalid_argument("evaluate: " + net + " takes rows of input_size " + std::to_string(want) +
                                  ", the test images have " + std::to_string(d.rows()) + "x" + std::to_string(d.cols()) +
                                  " = " + std::to_string(d.pixels()) + " pixels");
  }
  if (c.contains("output_size") && c["output_size"].is_number_unsigned() &&
      c["output_size"].get<std::size_t>() != d.num_classes)
    throw std::invalid_argument("evaluate: " + net + " has output_size " +
                                std::to_string(c["output_size"].get<std::size_t>()) + ", the test set has " +
                                std::to_string(d.num_classes) + " classes");
}

// NaN or Inf weights would give NaN scores and a meaningless accuracy; name the first bad one.
template <class T>
void check_finite(Net<T>& net) {
  auto bad = [](const std::string& name, const Tensor<T>& v) {
    for (std::size_t i = 0; i < v.size(); ++i)
      if (!std::isfinite(v[i]))
        throw std::invalid_argument("evaluate: the model's " + name + " holds " + (std::isnan(v[i]) ? "NaN" : "Inf") +
                                    " at flat index " + std::to_string(i) + "; expected finite weights");
  };
  for (Param<T>* p : net.params()) bad(p->name, p->value);
  for (const Buffer<T>& b : net.buffers()) bad(b.name, *b.tensor);
}

}  // namespace

template <class T>
Evaluation evaluate_net(Net<T>& net, const Dataset& d, std::size_t max_wrong) {
  check_fits(net.config(), d);
  check_finite(net);
  Evaluation e = make_evaluation(d.num_classes, max_wrong);
  detail::ScoreCache<T> cache;
  detail::score_rows(net, detail::byte_input_net(net), d, d.size(), cache,
                     [&](const Tensor<T>& y, std::size_t b, std::size_t end) {
                       if (y.ndim() != 2 || y.dim(0) != end - b || y.dim(1) != e.classes)
                         throw std::invalid_argument("evaluate: expected scores (" + std::to_string(end - b) + ", " +
                                                     std::to_string(e.classes) + ") from the net, got " +
                                                     shape_str(y.shape()));
                       add_scores(e, y.data(), end - b, d.labels.data() + b, b);
                     });
  std::sort(e.wrong.begin(), e.wrong.end(), more_confident);
  return e;
}

template void add_scores<float>(Evaluation&, const float*, std::size_t, const std::uint8_t*, std::size_t);
template void add_scores<double>(Evaluation&, const double*, std::size_t, const std::uint8_t*, std::size_t);
template Evaluation evaluate_net<float>(Net<float>&, const Dataset&, std::size_t);
template Evaluation evaluate_net<double>(Net<double>&, const Dataset&, std::size_t);

}  // namespace dlfs
