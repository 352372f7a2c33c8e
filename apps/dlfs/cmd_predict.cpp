// dlfs predict: classify one digit with a saved model, a test image by index or a PNG/JPEG file,
// and show it as text so the user sees what was classified.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "commands.hpp"
#include "common.hpp"
#include "dlfs/data/image.hpp"
#include "dlfs/train/model_file.hpp"
#include "dlfs/train/trainer.hpp"

namespace dlfs::cli {
namespace {

struct PredictFlags {
  DataFlags data;
  NetFlags net;  // only for an .npz without a __config__ entry (e.g. written by NumPy)
  std::string model;
  long long index = 0;  // used when --index is given
  std::string image;
  bool json = false;
};

int run(PredictFlags& f, const CLI::App& sub) {
  if (f.model.empty()) throw std::invalid_argument("--model: a model file is required (dlfs train --save FILE)");
  const bool by_index = sub.count("--index") > 0;
  if (by_index == !f.image.empty())
    throw std::invalid_argument("give exactly one of --index N (a test image) or --image FILE (PNG or JPEG)");
  check_net_flags_against_model(f.net, f.model, sub);

  Tensor<std::uint8_t> img;  // (28, 28)
  int label = -1;
  std::string what;
  if (by_index) {
    DataSplit data = load_data(f.data, /*test_only=*/true);  // the training set is never read
    if (f.index < 0 || static_cast<std::size_t>(f.index) >= data.test.size())
      throw std::invalid_argument("--index: expected 0 to " + std::to_string(data.test.size() - 1) + ", got " +
                                  std::to_string(f.index));
    std::size_t px = data.test.pixels();
    img = Tensor<std::uint8_t>({data.test.rows(), data.test.cols()});
    std::copy_n(data.test.images.data() + static_cast<std::size_t>(f.index) * px, px, img.data());
    label = data.test.labels[static_cast<std::size_t>(f.index)];
    what = "test image " + std::to_string(f.index) + " of " + data.description;
  } else {
    img = load_digit_image(f.image);
    what = f.image;
  }
  std::size_t rows = img.dim(0), cols = img.dim(1);
  // The file's own __config__ wins; the --net flags describe files that have none.
  nlohmann::json arch = net_config(f.net, rows, cols, 10);
  auto net = load_model<float>(f.model, &arch);
  Tensor<float> x(net_wants_images(net->config()) ? Shape{1, 1, rows, cols} : Shape{1, rows * cols});
  const std::vector<float> unit = digit_to_input(img);  // the step dlfs serve shares
  std::copy(unit.begin(), unit.end(), x.data());
  const Tensor<float>& y = net->predict(x, false);
  if (y.size() != 10 && y.dim(-1) != y.size())
    throw std::runtime_error("predict: expected one row of scores, got " + shape_str(y.shape()));
  std::size_t classes = y.size();
  // Softmax of the scores (overflow-safe).
  std::vector<double> p(classes);
  double mx = *std::max_element(y.begin(), y.end()), sum = 0;
  for (std::size_t k = 0; k < classes; ++k) sum += (p[k] = std::exp(double(y[k]) - mx));
  for (auto& v : p) v /= sum;
  std::size_t pred = static_cast<std::size_t>(std::max_element(p.begin(), p.end()) - p.begin());

  std::printf("%s\n%s\n", what.c_str(), ascii_art(img.data(), rows, cols).c_str());
  std::printf("class   score      probability\n");
  for (std::size_t k = 0; k < classes; ++k)
    std::printf("%5zu %8.4f   %10.6f %s\n", k, double(y[k]), p[k], k == pred ? "<" : "");
  if (label >= 0)
    std::printf("predicted %zu, label %d (%s)\n", pred, label, int(pred) == label ? "correct" : "wrong");
  else
    std::printf("predicted %zu\n", pred);
  if (f.json) {
    nlohmann::json j = {{"predicted", pred}, {"probabilities", p}};
    if (label >= 0) j["label"] = label;
    std::printf("%s\n", j.dump().c_str());
  }
  return 0;
}

Register reg([](CLI::App& app) {
  static PredictFlags f;
  CLI::App* sub = app.add_subcommand("predict", "classify a test image or a PNG/JPEG digit with a saved model");
  add_data_flags(sub, f.data);
  add_net_flags(sub, f.net);
  sub->add_option("--model", f.model,
                  "model file written by dlfs train --save, or an .npz from NumPy (then --net etc. give the "
                  "architecture)")
      ->required();
  sub->add_option("--index", f.index, "index of a test image");
  sub->add_option("--image", f.image, "a PNG or JPEG of a digit, any size");
  sub->add_flag("--json", f.json, "print a JSON line with the prediction");
  set_action(sub, [sub] { return run(f, *sub); });
});

}  // namespace
}  // namespace dlfs::cli
