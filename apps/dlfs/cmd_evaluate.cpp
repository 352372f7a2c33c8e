// dlfs evaluate: score a saved model on the whole test set (accuracy, mean loss, per-class
// accuracy, confusion matrix, the most confidently wrong digits). The numbers come from the
// library's evaluate_net, which scores exactly as Trainer does.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "commands.hpp"
#include "common.hpp"
#include "dlfs/io/atomic_file.hpp"
#include "dlfs/io/plot.hpp"
#include "dlfs/train/evaluate.hpp"
#include "dlfs/train/model_file.hpp"

namespace dlfs::cli {
namespace {

struct EvaluateFlags {
  DataFlags data;
  NetFlags net;  // only for an .npz without a __config__ entry (e.g. written by NumPy)
  std::string model;
  std::string precision = "float";
  std::string out;
  bool json = false;
};

constexpr std::size_t kWrongShown = 40;

std::string fmt(const char* f, double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

void print_report(const Evaluation& e) {
  std::printf("accuracy %.4f (%zu of %zu)  mean loss %.4f\n\n", e.accuracy(), e.correct(), e.n, e.mean_loss());
  std::printf("class  count  correct  accuracy\n");
  for (std::size_t k = 0; k < e.classes; ++k)
    std::printf("%5zu %6zu %8zu    %s\n", k, e.count(k), e.at(k, k),
                e.count(k) ? fmt("%.4f", e.class_accuracy(k)).c_str() : "-");
  std::printf("\nconfusion matrix (rows: true label, columns: predicted label)\n    ");
  for (std::size_t p = 0; p < e.classes; ++p) std::printf("%6zu", p);
  std::printf("\n");
  for (std::size_t t = 0; t < e.classes; ++t) {
    std::printf("%4zu", t);
    for (std::size_t p = 0; p < e.classes; ++p) std::printf("%6zu", e.at(t, p));
    std::printf("\n");
  }
}

void write_outputs(const std::string& dir, const Evaluation& e, const Dataset& test, const std::string& title) {
  std::filesystem::create_directories(dir);
  std::string csv = "true_label";
  for (std::size_t p = 0; p < e.classes; ++p) csv += "," + std::to_string(p);
  csv += "\n";
  for (std::size_t t = 0; t < e.classes; ++t) {
    csv += std::to_string(t);
    for (std::size_t p = 0; p < e.classes; ++p) csv += "," + std::to_string(e.at(t, p));
    csv += "\n";
  }
  write_file_atomic(dir + "/confusion.csv", csv);
  std::string per = "class,count,correct,accuracy\n";
  for (std::size_t k = 0; k < e.classes; ++k)
    per += std::to_string(k) + "," + std::to_string(e.count(k)) + "," + std::to_string(e.at(k, k)) + "," +
           (e.count(k) ? fmt("%.9g", e.class_accuracy(k)) : std::string("nan")) + "\n";
  write_file_atomic(dir + "/per_class.csv", per);
  std::printf("wrote %s/confusion.csv, %s/per_class.csv", dir.c_str(), dir.c_str());
  if (!gnuplot_available()) {
    std::printf("\n");
    std::fprintf(stderr, "dlfs: warning: gnuplot not found, confusion.png and wrong.png not written "
                         "(scripts/install_deps.sh)\n");
    return;
  }
  plot_confusion_matrix(dir + "/confusion.png", e.confusion, e.classes,
                        title + ": accuracy " + fmt("%.4f", e.accuracy()) + " on " + std::to_string(e.n));
  std::printf(", %s/confusion.png", dir.c_str());
  if (!e.wrong.empty()) {
    std::vector<const std::uint8_t*> imgs;
    std::vector<std::string> captions;
    for (const WrongPrediction& w : e.wrong) {
      imgs.push_back(test.images.data() + w.index * test.pixels());
      captions.push_back("true " + std::to_string(w.label) + " / pred " + std::to_string(w.predicted) + " (" +
                         fmt("%.2f", w.probability) + ")");
    }
    ImageGridStyle style;
    style.title = "most confidently wrong test digits";
    // Cells of 165 x 165 pixels: room for longer captions than dlfs train's misclassified.png.
    style.width = 8 * 165;
    style.height = int((imgs.size() + 7) / 8) * 165 + 40;
    save_image_grid(dir + "/wrong.png", imgs, int(test.rows()), int(test.cols()), captions, 8, style);
    std::printf(", %s/wrong.png", dir.c_str());
  }
  std::printf("\n");
}

template <class T>
int run_as(const EvaluateFlags& f) {
  DataSplit data = load_data(f.data, /*test_only=*/true);  // the training set is never read
  const Dataset& test = data.test;
  if (test.size() == 0) throw std::invalid_argument("evaluate: the test set of " + data.description + " is empty");
  // The file's own __config__ wins; the --net flags describe files that have none.
  nlohmann::json arch = net_config(f.net, test.rows(), test.cols(), test.num_classes);
  auto net = load_model<T>(f.model, &arch);
  Evaluation e = evaluate_net(*net, test, kWrongShown);

  std::printf("model: %s (%s, %s)\ndata: %s test set, %zu images\n", f.model.c_str(), net->config().dump().c_str(),
              f.precision.c_str(), data.description.c_str(), e.n);
  print_report(e);
  if (!f.out.empty()) write_outputs(f.out, e, test, net->name());
  if (f.json) {
    nlohmann::json per = nlohmann::json::array(), conf = nlohmann::json::array();
    for (std::size_t k = 0; k < e.classes; ++k) {
      nlohmann::json row = nlohmann::json::array();
      for (std::size_t p = 0; p < e.classes; ++p) row.push_back(e.at(k, p));
      conf.push_back(row);
      per.push_back({{"class", k}, {"count", e.count(k)}, {"correct", e.at(k, k)},
                     {"accuracy", e.count(k) ? nlohmann::json(e.class_accuracy(k)) : nlohmann::json(nullptr)}});
    }
    nlohmann::json j = {{"accuracy", e.accuracy()}, {"loss", e.mean_loss()}, {"n", e.n},
                        {"correct", e.correct()},   {"per_class", per},      {"confusion", conf},
                        {"precision", f.precision}, {"net", net->config()},  {"data", data.description}};
    std::cout << j.dump() << std::endl;
  }
  return 0;
}

int run(const EvaluateFlags& f, const CLI::App& sub) {
  if (f.model.empty()) throw std::invalid_argument("--model: a model file is required (dlfs train --save FILE)");
  if (!f.out.empty() && std::filesystem::exists(f.out) && !std::filesystem::is_directory(f.out))
    throw std::invalid_argument("--out: expected a folder, got the file " + f.out);
  check_net_flags(f.net);
  check_net_flags_against_model(f.net, f.model, sub);
  return f.precision == "double" ? run_as<double>(f) : run_as<float>(f);
}

Register reg([](CLI::App& app) {
  static EvaluateFlags f;
  CLI::App* sub = app.add_subcommand("evaluate", "score a saved model on the whole test set: accuracy, loss, "
                                                 "per-class accuracy, confusion matrix, confidently wrong digits");
  add_data_flags(sub, f.data);
  add_net_flags(sub, f.net);
  sub->add_option("--model", f.model,
                  "model file written by dlfs train --save, or an .npz from NumPy (then --net etc. give the "
                  "architecture)")
      ->required()
      ->check(non_empty_path());
  sub->add_option("--precision", f.precision, "float, or double (runs the model in float64, as NumPy would)")
      ->check(CLI::IsMember({"float", "double"}))
      ->capture_default_str();
  sub->add_option("--out", f.out, "folder for confusion.csv, confusion.png, per_class.csv and wrong.png")
      ->check(non_empty_path());
  sub->add_flag("--json", f.json, "print a JSON line with accuracy, loss, per_class, confusion and n at the end");
  set_action(sub, [sub] { return run(f, *sub); });
});

}  // namespace
}  // namespace dlfs::cli
