// scripts/book_weights_to_npz.py: pickles with the keys, shapes and dtypes of the book's trained
// weights (ch03 sample_weight.pkl, ch07 params.pkl, ch08 deep_convnet_params.pkl; random values,
// one Fortran-ordered array each) are converted, and `dlfs evaluate --precision double` with no
// architecture flags must give exactly the accuracy and confusion matrix, and the mean loss to
// 1e-12, of the book's predict() in NumPy on the same test digits
// (tests/integration/book_forward.py). Wrong keys or shapes and pickles that would run code are
// refused with one line, and nothing is written.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "integration/robust_util.hpp"

using namespace dlfs_robust;
using nlohmann::json;

namespace {

const std::string kScript = std::string(DLFS_SOURCE_DIR) + "/scripts/book_weights_to_npz.py";

CliRun convert(const std::vector<std::string>& args, const TempDir& dir) {
  std::vector<std::string> a = {kScript};
  a.insert(a.end(), args.begin(), args.end());
  return run_program(kSystemPython, a, dir.path().string());
}

TEST(BookWeights, ConvertedFilesEvaluateExactlyAsTheBooksNumPyPredict) {
  if (!python_has_numpy()) GTEST_SKIP() << kSystemPython << " has no numpy";
  if (!have_mnist()) GTEST_SKIP() << "no MNIST in " << mnist_root();
  TempDir dir("book");
  CliRun made = run_program(kSystemPython,
                            {std::string(DLFS_SOURCE_DIR) + "/tests/integration/book_forward.py", dir.path().string(),
                             mnist_root() + "/mnist"},
                            dir.path().string());
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const json want = json::parse(slurp(dir.file("numpy.json")));
  const std::vector<std::pair<std::string, std::string>> files = {
      {"sample_weight", "multi-layer"}, {"params", "simple-conv"}, {"deep_convnet_params", "deep-conv"}};
  for (const auto& [name, net] : files) {
    SCOPED_TRACE(name);
    const std::string npz = dir.file(name + ".npz");
    CliRun c = convert({dir.file(name + ".pkl"), npz}, dir);
    ASSERT_EQ(c.exit_code, 0) << c.err;
    EXPECT_NE(c.out.find("wrote " + npz + ": " + net), std::string::npos) << c.out;
    CliRun e = run_dlfs({"evaluate", "--model", npz, "--data-root", mnist_root(), "--precision", "double", "--json"},
                        dir.path().string());
    ASSERT_EQ(e.exit_code, 0) << e.err;
    const json got = json::parse(last_line(e.out));
    EXPECT_EQ(got.at("net").at("net"), net);  // from the file's __config__: no --net given
    EXPECT_EQ(got.at("n"), want.at(name).at("n"));
    EXPECT_EQ(got.at("accuracy").get<double>(), want.at(name).at("accuracy").get<double>());
    EXPECT_EQ(got.at("confusion"), want.at(name).at("confusion"));
    // The mean loss is SoftmaxWithLoss's on the same float64 scores: equal up to rounding.
    EXPECT_NEAR(got.at("loss").get<double>(), want.at(name).at("loss").get<double>(), 1e-12);
  }
}

TEST(BookWeights, WrongKeysShapesAndCodeAreRefusedWithOneLine) {
  if (!python_has_numpy()) GTEST_SKIP() << kSystemPython << " has no numpy";
  TempDir dir("book");
  spit(dir.file("make.py"), R"PY(
import os, pickle, sys
import numpy as np
d = sys.argv[1]
f32 = lambda *s: np.zeros(s, np.float32)
good = {'W1': f32(784, 50), 'b1': f32(50), 'W2': f32(50, 100), 'b2': f32(100), 'W3': f32(100, 10), 'b3': f32(10)}
pickle.dump(dict(good, W2=f32(100, 50)), open(d + '/shape.pkl', 'wb'), protocol=2)
k = dict(good); del k['b3']; k['W4'] = f32(10)
pickle.dump(k, open(d + '/keys.pkl', 'wb'), protocol=2)
pickle.dump(dict(good, W3=np.zeros((100, 10), np.int32)), open(d + '/dtype.pkl', 'wb'), protocol=2)
pickle.dump(dict(good, b1=np.full(50, np.nan, np.float32)), open(d + '/nan.pkl', 'wb'), protocol=2)
class Run:
    def __reduce__(self):
        return (os.system, ('touch ' + d + '/ran',))
pickle.dump({'W1': Run()}, open(d + '/code.pkl', 'wb'))
pickle.dump([good['W1']], open(d + '/list.pkl', 'wb'))
open(d + '/text.pkl', 'w').write('not a pickle')
)PY");
  ASSERT_EQ(run_program(kSystemPython, {dir.file("make.py"), dir.path().string()}, dir.path().string()).exit_code, 0);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"shape.pkl", "W2: expected shape (50, 100) for ch03, found (100, 50)"},
      {"keys.pkl", "missing b3; unexpected W4"},
      {"dtype.pkl", "W3: expected float32 or float64, found int32"},
      {"nan.pkl", "b1: not finite at flat index 0"},
      {"code.pkl", "refusing to unpickle posix.system"},
      {"list.pkl", "expected a dict of arrays"},
      {"text.pkl", "is not a readable pickle"},
      {"missing.pkl", "cannot read"},
  };
  for (const auto& [file, needle] : cases) {
    SCOPED_TRACE(file);
    CliRun r = convert({dir.file(file), dir.file("out.npz")}, dir);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find("book_weights_to_npz: error: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("out.npz")));
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("ran"))) << "the pickle's code ran";
  // Naming a net that the file is not.
  spit(dir.file("good.py"), R"PY(
import pickle, sys
import numpy as np
f32 = lambda *s: np.zeros(s, np.float32)
pickle.dump({'W1': f32(784, 50), 'b1': f32(50), 'W2': f32(50, 100), 'b2': f32(100), 'W3': f32(100, 10),
             'b3': f32(10)}, open(sys.argv[1] + '/good.pkl', 'wb'), protocol=2)
)PY");
  ASSERT_EQ(run_program(kSystemPython, {dir.file("good.py"), dir.path().string()}, dir.path().string()).exit_code, 0);
  CliRun r = convert({dir.file("good.pkl"), dir.file("out.npz"), "--net", "simple-conv"}, dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("W1: expected shape (30, 1, 5, 5) for simple-conv, found (784, 50)"), std::string::npos)
      << r.err;
  r = convert({dir.file("good.pkl"), dir.file("out.txt")}, dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("ending in .npz"), std::string::npos) << r.err;
  r = convert({dir.file("good.pkl"), dir.file("out.npz")}, dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir.file("out.npz")));
}

}  // namespace
