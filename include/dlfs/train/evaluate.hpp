// Scoring a trained net on a whole labelled set (dlfs evaluate): accuracy, the mean loss of the
// book's SoftmaxWithLoss, the confusion matrix, per-class accuracy and the most confidently wrong
// rows. The scores are computed exactly as Trainer computes its test accuracy, so the accuracy
// here equals the one `dlfs train` reported for the same weights.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dlfs/data/dataset.hpp"
#include "dlfs/nets/net.hpp"

namespace dlfs {

struct WrongPrediction {
  std::size_t index = 0;     // row of the set
  int label = 0, predicted = 0;
  double probability = 0;    // softmax probability of the predicted class
};

struct Evaluation {
  std::size_t n = 0, classes = 0;
  // classes x classes, row-major: confusion[label * classes + predicted].
  std::vector<std::size_t> confusion;
  // Sum over rows of -log(softmax(scores)[label] + 1e-7), as SoftmaxWithLoss (no weight decay).
  double loss_sum = 0;
  // The most confidently wrong rows, highest probability first (ties: lower index first).
  std::vector<WrongPrediction> wrong;
  std::size_t max_wrong = 0;  // how many `wrong` keeps

  std::size_t at(std::size_t label, std::size_t predicted) const { return confusion[label * classes + predicted]; }
  std::size_t correct() const;                    // the trace
  std::size_t count(std::size_t label) const;     // rows with this label (the row sum)
  double accuracy() const;                        // correct / n (0 for an empty set)
  double class_accuracy(std::size_t label) const; // at(label, label) / count(label); NaN when count is 0
  double mean_loss() const;                       // loss_sum / n
};

// An empty evaluation of `classes` classes that keeps the `max_wrong` most confident mistakes.
Evaluation make_evaluation(std::size_t classes, std::size_t max_wrong = 0);

// Adds `rows` rows of scores (before softmax, rows x e.classes, row-major) with their labels;
// first_index is the set's index of the first row (for `wrong`). Softmax and loss are computed in
// T as SoftmaxWithLoss<T> does. Throws std::invalid_argument for a label outside [0, classes) and
// std::runtime_error naming the row for a non-finite score (NaN or Inf weights, or overflow).
template <class T>
void add_scores(Evaluation& e, const T* scores, std::size_t rows, const std::uint8_t* labels, std::size_t first_index);

// The whole of d through the net in inference mode, in batches. The net's input (input_size or
// input_dim in its config) must match d's images and its output size d's classes; otherwise a
// std::invalid_argument says what the net expects and what d holds.
template <class T>
Evaluation evaluate_net(Net<T>& net, const Dataset& d, std::size_t max_wrong = 0);

}  // namespace dlfs
