// What a training run records: the loss at every iteration and the accuracies at every epoch.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace dlfs {

struct History {
  std::vector<double> train_loss;        // one per iteration
  std::vector<std::size_t> epoch_iter;   // iteration count at each evaluation
  std::vector<double> train_acc;         // one per evaluation (end of each epoch)
  std::vector<double> test_acc;
  double seconds = 0;                    // wall time of the training loop, evaluations included
  bool diverged = false;                 // stopped because the loss became NaN or Inf
  std::string stop_reason;

  double final_train_acc() const { return train_acc.empty() ? 0.0 : train_acc.back(); }
  double final_test_acc() const { return test_acc.empty() ? 0.0 : test_acc.back(); }
};

// OUT/history.csv: iteration,loss,epoch,train_acc,test_acc (epoch columns only on evaluation rows)
void write_history_csv(const std::string& path, const History& h);
// OUT/accuracy.png (train solid, test dashed, y in [0, 1], legend) and OUT/loss.png (raw loss and
// the book's smoothed curve).
void plot_history(const std::string& out_dir, const History& h, const std::string& title);

}  // namespace dlfs
