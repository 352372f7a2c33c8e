// The main job as a user runs it: `dlfs train` with the seeds' settings on the 8,000/2,000 MNIST
// split, then `dlfs predict` on the saved model and `dlfs gradcheck`.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "integration/cli_run.hpp"

using namespace dlfs_test;
namespace fs = std::filesystem;

namespace {

std::string tmpdir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("dlfs_cli_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

std::string data_flag() { return std::string("--data-root '") + DLFS_TEST_DATA_DIR + "'"; }

bool is_png(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char sig[8] = {};
  f.read(sig, 8);
  return f && std::string(sig, 8) == "\x89PNG\r\n\x1a\n";
}

}  // namespace

// Issues 2 and 3: the defaults (layered ReLU TwoLayerNet 784-50-10, 10,000 iterations of 100,
// lr 0.1, SGD, weight_init_std 0.01) reach at least 0.925 test accuracy, write the history and
// the plots, and the saved model classifies test image 0 correctly.
TEST(CliTrain, DefaultsReachTheBookAccuracyAndWriteTheirFiles) {
  if (!have_mnist()) GTEST_SKIP() << "no data/mnist (run scripts/fetch_data.sh)";
  std::string dir = tmpdir("default");
  auto r = run_dlfs("train " + data_flag() + " --out '" + dir + "/out' --save '" + dir + "/model.npz' --json", dir);
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(last_line(r.out));
  EXPECT_GE(j["final_test_acc"].get<double>(), 0.925);
  EXPECT_GE(j["final_train_acc"].get<double>(), 0.95);
  EXPECT_EQ(j["iters"].get<int>(), 10000);
  EXPECT_EQ(j["epochs"].get<int>(), 125);  // 8,000 / 100 = 80 iterations per epoch
  EXPECT_GT(j["seconds"].get<double>(), 0.0);
  EXPECT_NE(r.out.find("8,000/2,000 split"), std::string::npos) << "accuracy must say which data it is";
  EXPECT_NE(r.out.find("epoch 1/125"), std::string::npos);

  // history.csv: a header and one row per iteration, accuracies on the epoch rows.
  std::ifstream csv(dir + "/out/history.csv");
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "iteration,loss,epoch,train_acc,test_acc");
  int rows = 0, epoch_rows = 0;
  while (std::getline(csv, line)) {
    ++rows;
    if (line.back() != ',') ++epoch_rows;
  }
  EXPECT_EQ(rows, 10000);
  EXPECT_EQ(epoch_rows, 125);
  for (const char* png : {"accuracy.png", "loss.png", "misclassified.png"})
    EXPECT_TRUE(is_png(dir + "/out/" + png)) << png;
  EXPECT_FALSE(std::filesystem::exists(dir + "/out/filters.png"));  // only conv nets have filters

  auto p = run_dlfs("predict " + data_flag() + " --model '" + dir + "/model.npz' --index 0 --json", dir);
  ASSERT_EQ(p.status, 0) << p.err;
  auto pj = nlohmann::json::parse(last_line(p.out));
  EXPECT_EQ(pj["predicted"], pj["label"]);
  EXPECT_NE(p.out.find("@@"), std::string::npos) << "the digit is shown as text art";
  double sum = 0;
  for (double v : pj["probabilities"]) sum += v;
  EXPECT_NEAR(sum, 1.0, 1e-9);
}

// The chapter-4 sigmoid net by name reaches the 0.92 of issue 2.
TEST(CliTrain, ChapterFourSigmoidNetLearns) {
  if (!have_mnist()) GTEST_SKIP() << "no data/mnist";
  std::string dir = tmpdir("sigmoid");
  auto r = run_dlfs("train --net two-layer-sigmoid " + data_flag() + " --out '" + dir + "' --json --quiet", dir);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_GE(nlohmann::json::parse(last_line(r.out))["final_test_acc"].get<double>(), 0.92);
}

TEST(CliTrain, SameSeedSameNumbersOtherSeedOtherNumbers) {
  if (!have_mnist()) GTEST_SKIP() << "no data/mnist";
  std::string dir = tmpdir("seed");
  auto run = [&](int seed) {
    auto r = run_dlfs("train " + data_flag() + " --iters 200 --quiet --json --seed " + std::to_string(seed) +
                          " --out '" + dir + "/o" + std::to_string(seed) + "'",
                      dir);
    EXPECT_EQ(r.status, 0) << r.err;
    auto j = nlohmann::json::parse(last_line(r.out));
    return slurp(dir + "/o" + std::to_string(seed) + "/history.csv") + j["final_test_acc"].dump();
  };
  std::string a = run(7), b = run(7), c = run(8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(CliTrain, BadFlagsGiveOneClearErrorAndNonZeroExit) {
  std::string dir = tmpdir("flags");
  struct Case {
    std::string args, message;
  } cases[] = {
      {"train --batch 0", "--batch: expected a whole number from 1"},
      {"train --lr nan", "--lr: expected a finite number > 0, got nan"},
      {"train --hidden -5", "--hidden"},
      {"train --iters 1000000000000", "--iters: expected a whole number from 1 to 100000000"},
      {"train --net no-such-net", "no-such-net"},
      {"train --data /nonexistent/folder", "/nonexistent/folder"},
  };
  for (const auto& c : cases) {
    auto r = run_dlfs(c.args + " " + data_flag(), dir);
    EXPECT_NE(r.status, 0) << c.args;
    EXPECT_NE(r.status, -1) << c.args << " crashed";
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << "\nstderr: " << r.err;
  }
}

// Issue 3: gradcheck prints values of the book's order and exits 0; a broken backward fails it.
TEST(CliGradcheck, BookOrderOnRealDigitsAndFailsOnInjectedFault) {
  if (!have_mnist()) GTEST_SKIP() << "no data/mnist";
  std::string dir = tmpdir("gradcheck");
  auto r = run_dlfs("gradcheck " + data_flag(), dir);
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("OK"), std::string::npos);
  for (const char* name : {"W1", "b1", "W2", "b2"}) EXPECT_NE(r.out.find(name), std::string::npos);
  for (const char* fault : {"affine-bias", "relu-mask"}) {
    auto f = run_dlfs("gradcheck " + data_flag() + " --inject-fault " + fault, dir);
    EXPECT_EQ(f.status, 1) << fault << "\n" << f.out;
    EXPECT_NE(f.out.find("FAIL"), std::string::npos) << fault;
  }
  auto s = run_dlfs("gradcheck --net two-layer-sigmoid " + data_flag() + " --inject-fault sigmoid-grad", dir);
  EXPECT_EQ(s.status, 1) << s.out;
}

// Issue 3: every net in the project passes `dlfs gradcheck` on real digits (issue 4: batch norm,
// weight decay and dropout with a frozen mask included).
TEST(CliGradcheck, EveryNetPasses) {
  if (!have_mnist()) GTEST_SKIP() << "no data/mnist";
  std::string dir = tmpdir("gradcheck_all");
  for (const std::string args :
       {"--net two-layer", "--net two-layer-sigmoid", "--net multi-layer --activation relu --init he",
        "--net multi-layer --activation sigmoid --init xavier --weight-decay 0.1",
        "--net multi-layer-extend --batchnorm --dropout 0.15 --weight-decay 0.01",
        "--net multi-layer --hidden 20,20,20 --batchnorm --activation sigmoid", "--net simple-conv",
        "--net deep-conv"}) {
    auto r = run_dlfs("gradcheck " + data_flag() + " " + args, dir);
    EXPECT_EQ(r.status, 0) << args << "\n" << r.out << r.err;
    EXPECT_NE(r.out.find("\nOK"), std::string::npos) << args;
  }
}
