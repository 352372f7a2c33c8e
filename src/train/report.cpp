#include "dlfs/train/report.hpp"

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "dlfs/io/atomic_file.hpp"
#include "dlfs/io/plot.hpp"
#include "dlfs/train/trainer.hpp"

namespace dlfs {

void write_history_csv(const std::string& path, const History& h) {
  // One row per iteration; the epoch columns are filled on the row of the iteration after which
  // the accuracies were measured and left empty elsewhere (pandas reads them as NaN).
  std::vector<long> epoch_at_row(h.train_loss.size(), -1);
  for (std::size_t e = 0; e < h.epoch_iter.size(); ++e)
    if (h.epoch_iter[e] >= 1 && h.epoch_iter[e] <= h.train_loss.size()) epoch_at_row[h.epoch_iter[e] - 1] = long(e);
  std::string text = "iteration,loss,epoch,train_acc,test_acc\n";
  char buf[128];
  for (std::size_t i = 0; i < h.train_loss.size(); ++i) {
    long e = epoch_at_row[i];
    if (e < 0)
      std::snprintf(buf, sizeof buf, "%zu,%.9g,,,\n", i + 1, h.train_loss[i]);
    else
      std::snprintf(buf, sizeof buf, "%zu,%.9g,%ld,%.6f,%.6f\n", i + 1, h.train_loss[i], e + 1,
                    h.train_acc[std::size_t(e)], h.test_acc[std::size_t(e)]);
    text += buf;
  }
  write_file_atomic(path, text);
}

void plot_history(const std::string& out_dir, const History& h, const std::string& title) {
  // Accuracy per epoch, as the book's Figure 4-12: train solid, test dashed, y from 0 to 1.
  PlotSpec acc;
  acc.title = title;
  acc.xlabel = "epochs";
  acc.ylabel = "accuracy";
  acc.ymin = 0.0;
  acc.ymax = 1.0;
  acc.legend = "bottom right";
  std::vector<double> ep;
  for (std::size_t e = 0; e < h.train_acc.size(); ++e) ep.push_back(double(e + 1));
  acc.series.push_back({"train acc", ep, h.train_acc, "lines"});
  acc.series.push_back({"test acc", ep, h.test_acc, "dashed"});
  plot_lines(out_dir + "/accuracy.png", acc);

  // Loss per iteration, raw and smoothed (the book's smooth_curve) so the trend is readable.
  PlotSpec loss;
  loss.title = title;
  loss.xlabel = "iterations";
  loss.ylabel = "loss";
  loss.ymin = 0.0;
  std::vector<double> it;
  for (std::size_t i = 0; i < h.train_loss.size(); ++i) it.push_back(double(i + 1));
  loss.series.push_back({"loss", it, h.train_loss, "lines", "#b0c4de"});
  if (h.train_loss.size() > 11) loss.series.push_back({"smoothed", it, smooth_curve(h.train_loss), "lines", "#1f77b4"});
  plot_lines(out_dir + "/loss.png", loss);
}

template <class T>
std::size_t write_misclassified_grid(const std::string& png_path, Net<T>& net, const Dataset& test,
                                     std::size_t count) {
  auto wrong = misclassified(net, test, count);
  std::vector<const std::uint8_t*> imgs;
  std::vector<std::string> captions;
  for (auto& [i, pred] : wrong) {
    imgs.push_back(test.images.data() + i * test.pixels());
    captions.push_back("true " + std::to_string(test.labels[i]) + " / pred " + std::to_string(pred));
  }
  if (imgs.empty()) return 0;
  ImageGridStyle style;
  style.title = "misclassified test digits";
  save_image_grid(png_path, imgs, int(test.rows()), int(test.cols()), captions, 8, style);
  return imgs.size();
}

// The first convolution's filters after training (the book's visualize_filter.py), for conv nets:
// W1 of shape (FN, 1, FH, FW). Returns whether it wrote the picture.
template <class T>
bool write_filter_grid(const std::string& png_path, Net<T>& net) {
  const auto params = net.params();
  if (params.empty() || params.front()->name != "W1") return false;
  const Tensor<T>& W = params.front()->value;
  if (W.ndim() != 4 || W.dim(1) != 1 || W.dim(0) == 0) return false;
  const std::size_t fn = W.dim(0), per = W.size() / fn;
  std::vector<float> values(W.begin(), W.end());
  std::vector<const float*> imgs;
  std::vector<std::string> captions;
  for (std::size_t f = 0; f < fn; ++f) {
    imgs.push_back(values.data() + f * per);
    captions.push_back(std::to_string(f + 1));
  }
  ImageGridStyle style;
  style.title = "conv1 filters after training";
  save_float_image_grid(png_path, imgs, int(W.dim(2)), int(W.dim(3)), captions, 6, style);
  return true;
}

template <class T>
void write_training_report(const std::string& out_dir, Net<T>& net, const DataSplit& data, const History& h,
                           const std::string& title, bool quiet) {
  write_history_csv(out_dir + "/history.csv", h);
  if (!gnuplot_available()) {
    std::fprintf(stderr, "dlfs: warning: gnuplot not found, no PNG plots written (scripts/install_deps.sh)\n");
    return;
  }
  plot_history(out_dir, h, title);
  write_misclassified_grid(out_dir + "/misclassified.png", net, data.test);
  write_filter_grid(out_dir + "/filters.png", net);
}

template std::size_t write_misclassified_grid<float>(const std::string&, Net<float>&, const Dataset&, std::size_t);
template std::size_t write_misclassified_grid<double>(const std::string&, Net<double>&, const Dataset&, std::size_t);
template void write_training_report<float>(const std::string&, Net<float>&, const DataSplit&, const History&,
                                           const std::string&, bool);
template void write_training_report<double>(const std::string&, Net<double>&, const DataSplit&, const History&,
                                            const std::string&, bool);

}  // namespace dlfs
