// dlfs evaluate through the real binary, on a model trained by the real binary: its accuracy is
// the one dlfs train printed for the same weights, its confusion matrix, per-class table, CSVs
// and PNGs agree with each other, --precision double gives the same argmax accuracy, and bad
// models give one clear line.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "dlfs/data/mnist.hpp"
#include "dlfs/io/plot.hpp"
#include "dlfs/nets/registry.hpp"
#include "dlfs/train/model_file.hpp"
#include "integration/robust_util.hpp"

using namespace dlfs_robust;
using dlfs::DataSplit;
using dlfs::load_dataset;
using nlohmann::json;

namespace {

// A complete PNG ends with the IEND chunk: length 0, "IEND", its CRC ae 42 60 82.
bool ends_with_iend(const std::string& path) {
  if (!std::filesystem::exists(path)) return false;
  const std::string b = slurp(path);
  static const std::string iend("\0\0\0\0IEND\xae\x42\x60\x82", 12);
  return b.size() > 20 && b.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0 && b.compare(b.size() - 12, 12, iend) == 0;
}

std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(slurp(path));
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::istringstream l(line);
    for (std::string c; std::getline(l, c, ',');) cells.push_back(c);
    rows.push_back(cells);
  }
  return rows;
}

// One model trained with the real binary, shared by the tests below (300 iterations: seconds).
struct Trained {
  std::unique_ptr<TempDir> dir;
  std::string model;
  double final_test_acc = -1;
  std::string error;
};

const Trained& trained() {
  static Trained t = [] {
    Trained r;
    r.dir = std::make_unique<TempDir>("evaluate");
    r.model = r.dir->file("m.npz");
    // --eval-samples 0 (the default, given here to say so): Trainer scores the whole test set.
    CliRun run = run_dlfs({"train", "--data-root", mnist_root(), "--iters", "300", "--eval-samples", "0", "--seed",
                           "3", "--save", r.model, "--out", r.dir->file("train_out"), "--json", "--quiet"},
                          r.dir->path().string());
    if (run.exit_code != 0) {
      r.error = run.err;
      return r;
    }
    r.final_test_acc = json::parse(last_line(run.out)).at("final_test_acc").get<double>();
    return r;
  }();
  return t;
}

#define NEED_MODEL()                                                         \
  if (!have_mnist()) GTEST_SKIP() << "no MNIST in " << mnist_root();         \
  const Trained& t = trained();                                              \
  ASSERT_TRUE(t.error.empty()) << "dlfs train failed: " << t.error

TEST(Evaluate, AccuracyEqualsTrainsFinalTestAccuracyAndTheTablesAgree) {
  NEED_MODEL();
  const std::string out = t.dir->file("eval_out");
  CliRun r = run_dlfs({"evaluate", "--model", t.model, "--data-root", mnist_root(), "--out", out, "--json"},
                      t.dir->path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(last_line(r.out));
  const double acc = j.at("accuracy").get<double>();
  // The same weights, scored by Trainer at the end of training and by evaluate: the same number.
  EXPECT_EQ(acc, t.final_test_acc);
  EXPECT_GT(acc, 0.5);  // 300 iterations of the two-layer net learn something
  const std::size_t n = j.at("n").get<std::size_t>();
  DataSplit data = load_dataset("mnist", mnist_root());
  EXPECT_EQ(n, data.test.size());

  const auto conf = j.at("confusion").get<std::vector<std::vector<std::size_t>>>();
  ASSERT_EQ(conf.size(), 10u);
  std::size_t total = 0, trace = 0;
  std::vector<std::size_t> label_count(10, 0);
  for (std::uint8_t l : data.test.labels) ++label_count[l];
  for (std::size_t k = 0; k < 10; ++k) {
    ASSERT_EQ(conf[k].size(), 10u);
    std::size_t row = 0;
    for (std::size_t v : conf[k]) row += v;
    total += row;
    trace += conf[k][k];
    EXPECT_EQ(row, label_count[k]) << "row " << k << " is not the number of test digits labelled " << k;
    const json& pc = j.at("per_class").at(k);
    EXPECT_EQ(pc.at("class").get<std::size_t>(), k);
    EXPECT_EQ(pc.at("count").get<std::size_t>(), row);
    EXPECT_EQ(pc.at("correct").get<std::size_t>(), conf[k][k]);
    EXPECT_DOUBLE_EQ(pc.at("accuracy").get<double>(), double(conf[k][k]) / double(row));
  }
  EXPECT_EQ(total, n);
  EXPECT_EQ(j.at("correct").get<std::size_t>(), trace);
  EXPECT_DOUBLE_EQ(acc, double(trace) / double(n));
  const double loss = j.at("loss").get<double>();
  EXPECT_TRUE(std::isfinite(loss));
  EXPECT_GT(loss, 0.0);
  EXPECT_LT(loss, std::log(10.0));  // better than a uniform guess

  // The text report says the same.
  char line[64];
  std::snprintf(line, sizeof line, "accuracy %.4f (%zu of %zu)", acc, trace, n);
  EXPECT_NE(r.out.find(line), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("confusion matrix (rows: true label, columns: predicted label)"), std::string::npos);

  // confusion.csv: a header, then one row per true label with the same counts.
  auto csv = read_csv(out + "/confusion.csv");
  ASSERT_EQ(csv.size(), 11u);
  ASSERT_EQ(csv[0].size(), 11u);
  EXPECT_EQ(csv[0][0], "true_label");
  for (std::size_t k = 0; k < 10; ++k) {
    EXPECT_EQ(csv[0][k + 1], std::to_string(k));
    ASSERT_EQ(csv[k + 1].size(), 11u);
    EXPECT_EQ(csv[k + 1][0], std::to_string(k));
    for (std::size_t p = 0; p < 10; ++p) EXPECT_EQ(std::stoull(csv[k + 1][p + 1]), conf[k][p]) << k << "," << p;
  }
  auto per = read_csv(out + "/per_class.csv");
  ASSERT_EQ(per.size(), 11u);
  EXPECT_EQ(per[0], (std::vector<std::string>{"class", "count", "correct", "accuracy"}));
  for (std::size_t k = 0; k < 10; ++k) {
    ASSERT_EQ(per[k + 1].size(), 4u);
    EXPECT_EQ(std::stoull(per[k + 1][1]), label_count[k]);
    EXPECT_EQ(std::stoull(per[k + 1][2]), conf[k][k]);
    EXPECT_NEAR(std::stod(per[k + 1][3]), double(conf[k][k]) / double(label_count[k]), 1e-8);
  }
  if (!dlfs::gnuplot_available()) GTEST_SKIP() << "gnuplot missing: confusion.png and wrong.png not checked";
  EXPECT_TRUE(ends_with_iend(out + "/confusion.png"));
  EXPECT_TRUE(ends_with_iend(out + "/wrong.png"));
}

TEST(Evaluate, DoublePrecisionGivesTheSameArgmaxAccuracy) {
  NEED_MODEL();
  CliRun f = run_dlfs({"evaluate", "--model", t.model, "--data-root", mnist_root(), "--json"}, t.dir->path().string());
  CliRun d = run_dlfs({"evaluate", "--model", t.model, "--data-root", mnist_root(), "--precision", "double", "--json"},
                      t.dir->path().string());
  ASSERT_EQ(f.exit_code, 0) << f.err;
  ASSERT_EQ(d.exit_code, 0) << d.err;
  json jf = json::parse(last_line(f.out)), jd = json::parse(last_line(d.out));
  EXPECT_EQ(jd.at("precision"), "double");
  EXPECT_EQ(jd.at("accuracy").get<double>(), jf.at("accuracy").get<double>());
  EXPECT_EQ(jd.at("confusion"), jf.at("confusion"));
  // float32 weights in float64 arithmetic: the loss moves only by rounding.
  EXPECT_NEAR(jd.at("loss").get<double>(), jf.at("loss").get<double>(), 1e-4);
}

// Every net dlfs train builds (batch norm's running statistics and dropout's inference scaling
// included): evaluate's accuracy is train's final test accuracy, with no architecture flags.
TEST(Evaluate, EveryNetScoresAsTrainerDid) {
  if (!have_mnist()) GTEST_SKIP() << "no MNIST in " << mnist_root();
  TempDir dir("evaluate");
  // The flags, and the net the file's __config__ names (a multi-layer net with batch norm or
  // dropout is the book's MultiLayerNetExtend; without either, the plain MultiLayerNet).
  const std::vector<std::pair<std::vector<std::string>, std::string>> nets = {
      {{"--net", "two-layer-sigmoid", "--lr", "1", "--iters", "200"}, "two-layer-sigmoid"},
      {{"--net", "multi-layer", "--hidden", "40,30", "--batchnorm", "--dropout", "0.2", "--iters", "200"},
       "multi-layer-extend"},
      {{"--net", "multi-layer-extend", "--hidden", "40", "--activation", "sigmoid", "--iters", "200"}, "multi-layer"},
      {{"--net", "simple-conv", "--iters", "60"}, "simple-conv"},
      {{"--net", "deep-conv", "--iters", "20"}, "deep-conv"},
  };
  for (const auto& [flags, name] : nets) {
    const std::string model = dir.file(flags[1] + ".npz");
    SCOPED_TRACE(flags[1]);
    std::vector<std::string> args = {"train", "--data-root", mnist_root(), "--save", model,
                                     "--out", dir.file(flags[1]), "--json", "--quiet"};
    args.insert(args.end(), flags.begin(), flags.end());
    CliRun tr = run_dlfs(args, dir.path().string());
    ASSERT_EQ(tr.exit_code, 0) << tr.err;
    const double want = json::parse(last_line(tr.out)).at("final_test_acc").get<double>();
    CliRun ev = run_dlfs({"evaluate", "--model", model, "--data-root", mnist_root(), "--json"}, dir.path().string());
    ASSERT_EQ(ev.exit_code, 0) << ev.err;
    const json j = json::parse(last_line(ev.out));
    EXPECT_EQ(j.at("net").at("net"), name);
    EXPECT_EQ(j.at("accuracy").get<double>(), want);
    EXPECT_TRUE(std::isfinite(j.at("loss").get<double>()));
  }
}

// Evaluation never reads the training set: a folder with only the two t10k files is enough.
TEST(Evaluate, NeedsOnlyTheTestFiles) {
  NEED_MODEL();
  const std::string only = t.dir->file("t10k_only");
  std::filesystem::create_directories(only);
  for (const char* stem : {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"})
    for (const std::string ext : {"", ".gz"})
      if (std::filesystem::exists(mnist_root() + "/mnist/" + stem + ext))
        std::filesystem::copy_file(mnist_root() + "/mnist/" + stem + ext, only + "/" + stem + ext);
  CliRun r = run_dlfs({"evaluate", "--model", t.model, "--data", only, "--json"}, t.dir->path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(last_line(r.out));
  EXPECT_EQ(j.at("accuracy").get<double>(), t.final_test_acc);
}

// One line on stderr naming the problem, exit 1.
void expect_one_line_error(const CliRun& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

TEST(Evaluate, BadModelsGetOneClearLine) {
  NEED_MODEL();
  // A NaN weight (refused when loaded or before scoring, naming W1).
  auto net = dlfs::load_model<float>(t.model);
  net->param("W1").value[12] = std::numeric_limits<float>::quiet_NaN();
  const std::string nan_model = t.dir->file("nan.npz");
  dlfs::save_model(*net, nan_model);
  CliRun r = run_dlfs({"evaluate", "--model", nan_model, "--data-root", mnist_root()}, t.dir->path().string());
  expect_one_line_error(r, "W1");
  EXPECT_NE(r.err.find("NaN"), std::string::npos) << r.err;
  // A net for 10x10 images against 28x28 digits.
  auto small = dlfs::make_net<float>({{"net", "two-layer"}, {"input_size", 100}, {"hidden_size", 5}}, 1);
  const std::string small_model = t.dir->file("small.npz");
  dlfs::save_model(*small, small_model);
  r = run_dlfs({"evaluate", "--model", small_model, "--data-root", mnist_root()}, t.dir->path().string());
  expect_one_line_error(r, "input_size 100, the test images have 28x28 = 784 pixels");
  // --net naming another net than the file's __config__: refused; other architecture flags are
  // ignored with a note.
  r = run_dlfs({"evaluate", "--model", t.model, "--data-root", mnist_root(), "--net", "simple-conv"},
               t.dir->path().string());
  expect_one_line_error(r, "--net simple-conv: " + t.model + " holds a two-layer net");
  r = run_dlfs({"evaluate", "--model", t.model, "--data-root", mnist_root(), "--hidden", "7", "--json"},
               t.dir->path().string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("gives its own architecture (two-layer); the architecture flags are ignored"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(json::parse(last_line(r.out)).at("net").at("hidden_size"), 50);
  // --out naming a file.
  r = run_dlfs({"evaluate", "--model", t.model, "--data-root", mnist_root(), "--out", t.model},
               t.dir->path().string());
  expect_one_line_error(r, "--out: expected a folder");
  r = run_dlfs({"evaluate", "--model", t.model, "--data-root", mnist_root(), "--out", ""}, t.dir->path().string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--out: expected a path, got an empty string"), std::string::npos) << r.err;
  r = run_dlfs({"evaluate", "--model", t.model, "--data-root", mnist_root(), "--precision", "half"},
               t.dir->path().string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--precision"), std::string::npos) << r.err;
}

}  // namespace
