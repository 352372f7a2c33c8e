// evaluate_net and its parts on hand-made examples with known numbers: the confusion matrix,
// per-class accuracy, the SoftmaxWithLoss mean loss, the most confidently wrong rows, and the
// errors for bad labels, non-finite scores or weights and a set the net does not fit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <limits>

#include "dlfs/layers/softmax_with_loss.hpp"
#include "dlfs/nets/registry.hpp"
#include "dlfs/train/evaluate.hpp"
#include "dlfs/train/trainer.hpp"

namespace dlfs {
namespace {

// Four rows of three classes:
//   row 0 scores (2, 1, 0), label 0 -> predicted 0 (right)
//   row 1 scores (0, 3, 0), label 2 -> predicted 1 (wrong, p = e^3 / (e^3 + 2))
//   row 2 scores (1, 1, 5), label 2 -> predicted 2 (right)
//   row 3 scores (0, 0, 0), label 1 -> predicted 0 (wrong: ties go to the first, as np.argmax; p = 1/3)
const double kScores[] = {2, 1, 0, 0, 3, 0, 1, 1, 5, 0, 0, 0};
const std::uint8_t kLabels[] = {0, 2, 2, 1};

double book_loss_row(const double* x, std::size_t label) {
  double s = 0;
  for (int c = 0; c < 3; ++c) s += std::exp(x[c]);
  return -std::log(std::exp(x[label]) / s + 1e-7);
}

TEST(Evaluation, ConfusionPerClassAndLossOfAHandMadeExample) {
  Evaluation e = make_evaluation(3, 5);
  add_scores(e, kScores, 2, kLabels, 0);      // in two pieces, as evaluate_net adds its batches
  add_scores(e, kScores + 6, 2, kLabels + 2, 2);
  EXPECT_EQ(e.n, 4u);
  const std::vector<std::size_t> want = {1, 0, 0,   // true 0
                                         1, 0, 0,   // true 1
                                         0, 1, 1};  // true 2
  EXPECT_EQ(e.confusion, want);
  EXPECT_EQ(e.correct(), 2u);
  EXPECT_DOUBLE_EQ(e.accuracy(), 0.5);
  EXPECT_EQ(e.count(0), 1u);
  EXPECT_EQ(e.count(1), 1u);
  EXPECT_EQ(e.count(2), 2u);
  EXPECT_DOUBLE_EQ(e.class_accuracy(0), 1.0);
  EXPECT_DOUBLE_EQ(e.class_accuracy(1), 0.0);
  EXPECT_DOUBLE_EQ(e.class_accuracy(2), 0.5);
  double want_loss = 0;
  for (int r = 0; r < 4; ++r) want_loss += book_loss_row(kScores + 3 * r, kLabels[r]);
  EXPECT_NEAR(e.loss_sum, want_loss, 1e-12);
  EXPECT_NEAR(e.mean_loss(), want_loss / 4, 1e-12);
  // The same as the layer the nets end with.
  Tensor<double> x({4, 3}), t({4});
  for (int i = 0; i < 12; ++i) x[i] = kScores[i];
  for (int i = 0; i < 4; ++i) t[i] = kLabels[i];
  SoftmaxWithLoss<double> layer;
  EXPECT_NEAR(e.mean_loss(), layer.forward(x, t), 1e-15);
  // Both mistakes, the more confident first.
  ASSERT_EQ(e.wrong.size(), 2u);
  std::sort(e.wrong.begin(), e.wrong.end(),
            [](const WrongPrediction& a, const WrongPrediction& b) { return a.probability > b.probability; });
  EXPECT_EQ(e.wrong[0].index, 1u);
  EXPECT_EQ(e.wrong[0].label, 2);
  EXPECT_EQ(e.wrong[0].predicted, 1);
  EXPECT_NEAR(e.wrong[0].probability, std::exp(3.0) / (std::exp(3.0) + 2), 1e-15);
  EXPECT_EQ(e.wrong[1].index, 3u);
  EXPECT_EQ(e.wrong[1].predicted, 0);
  EXPECT_NEAR(e.wrong[1].probability, 1.0 / 3, 1e-15);
}

TEST(Evaluation, KeepsOnlyTheMostConfidentMistakes) {
  Evaluation e = make_evaluation(3, 1);
  add_scores(e, kScores, 4, kLabels, 100);
  ASSERT_EQ(e.wrong.size(), 1u);
  EXPECT_EQ(e.wrong[0].index, 101u);  // first_index + row 1
}

TEST(Evaluation, AClassWithNoRowsHasNoAccuracy) {
  Evaluation e = make_evaluation(3);
  add_scores(e, kScores, 1, kLabels, 0);
  EXPECT_EQ(e.count(1), 0u);
  EXPECT_TRUE(std::isnan(e.class_accuracy(1)));
  EXPECT_TRUE(e.wrong.empty());
}

TEST(Evaluation, RefusesBadLabelsAndNonFiniteScores) {
  Evaluation e = make_evaluation(3);
  const std::uint8_t bad_label[] = {3};
  EXPECT_THROW(add_scores(e, kScores, 1, bad_label, 0), std::invalid_argument);
  const float nan_row[] = {0, std::numeric_limits<float>::quiet_NaN(), 1};
  try {
    add_scores(e, nan_row, 1, kLabels, 7);
    FAIL() << "a NaN score was accepted";
  } catch (const std::runtime_error& err) {
    EXPECT_NE(std::string(err.what()).find("row 7 is NaN"), std::string::npos) << err.what();
  }
  EXPECT_THROW(make_evaluation(0), std::invalid_argument);
}

// A 2x2-pixel set of 6 images in 3 classes through a real net: evaluate_net agrees with
// evaluate_accuracy and with the net's own loss (the two-layer net has no weight decay).
Dataset tiny_set() {
  Dataset d;
  d.num_classes = 3;
  d.images = Tensor<std::uint8_t>({6, 2, 2});
  const std::uint8_t px[] = {255, 0, 0, 0, 0, 255, 0, 0, 0, 0, 255, 0, 200, 10, 0, 0, 0, 0, 0, 255, 30, 40, 50, 60};
  for (int i = 0; i < 24; ++i) d.images[i] = px[i];
  d.labels = {0, 1, 2, 0, 1, 2};
  return d;
}

template <class T>
void check_real_net() {
  Dataset d = tiny_set();
  nlohmann::json c = {{"net", "two-layer"}, {"input_size", 4}, {"hidden_size", 5}, {"output_size", 3},
                      {"weight_init_std", 1.0}};
  auto net = make_net<T>(c, 3);
  Evaluation e = evaluate_net(*net, d, 10);
  EXPECT_EQ(e.n, 6u);
  EXPECT_DOUBLE_EQ(e.accuracy(), evaluate_accuracy(*net, d));
  Tensor<T> x, t;
  slice_batch(d, 0, 6, true, x, t);
  const double tol = std::is_same_v<T, float> ? 1e-6 : 1e-13;
  EXPECT_NEAR(e.mean_loss(), double(net->loss(x, t, false)), tol);
  std::size_t total = 0;
  for (std::size_t v : e.confusion) total += v;
  EXPECT_EQ(total, 6u);
  EXPECT_EQ(e.wrong.size(), 6u - e.correct());
  for (std::size_t i = 1; i < e.wrong.size(); ++i) EXPECT_GE(e.wrong[i - 1].probability, e.wrong[i].probability);
}

TEST(Evaluation, AgreesWithEvaluateAccuracyAndTheNetsLoss) {
  check_real_net<float>();
  check_real_net<double>();
}

TEST(Evaluation, RefusesASetTheNetDoesNotFitAndNonFiniteWeights) {
  Dataset d = tiny_set();
  auto wide = make_net<float>({{"net", "two-layer"}, {"input_size", 784}, {"hidden_size", 5}, {"output_size", 3}}, 1);
  try {
    evaluate_net(*wide, d);
    FAIL() << "a 784-input net evaluated 2x2 images";
  } catch (const std::invalid_argument& err) {
    EXPECT_NE(std::string(err.what()).find("input_size 784"), std::string::npos) << err.what();
  }
  auto ten = make_net<float>({{"net", "two-layer"}, {"input_size", 4}, {"hidden_size", 5}, {"output_size", 10}}, 1);
  EXPECT_THROW(evaluate_net(*ten, d), std::invalid_argument);
  auto net = make_net<float>({{"net", "two-layer"}, {"input_size", 4}, {"hidden_size", 5}, {"output_size", 3}}, 1);
  net->param("W2").value[7] = std::numeric_limits<float>::infinity();
  try {
    evaluate_net(*net, d);
    FAIL() << "an Inf weight was accepted";
  } catch (const std::invalid_argument& err) {
    EXPECT_NE(std::string(err.what()).find("W2 holds Inf at flat index 7"), std::string::npos) << err.what();
  }
}

}  // namespace
}  // namespace dlfs
