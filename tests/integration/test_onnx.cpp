// dlfs export --onnx, checked by real ONNX tools: every net dlfs train builds is trained for a few
// iterations by the real binary, exported by the real binary, and then
//  - python3-onnx's checker (full_check) accepts the file, and every array of the model file is
//    in it unchanged under its book name (Gemm's B as the transposed W);
//  - OpenCV DNN (python3-opencv) reproduces dlfs's probabilities on 1,000 test digits within
//    1e-5, with the same argmax. The reference is dlfs's own predict() on the same model file and
//    the same float batch (slice_batch, as dlfs evaluate scores), softmaxed in double;
//  - ONNX Runtime (onnxruntime-node from npm, installed with --ignore-scripts into a cache folder)
//    does the same, as a second runtime.
// A missing optional package is a GTEST_SKIP with the reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include <nlohmann/json.hpp>

#include "dlfs/data/mnist.hpp"
#include "dlfs/io/npz.hpp"
#include "dlfs/layers/batch_norm.hpp"
#include "dlfs/layers/pooling.hpp"
#include "dlfs/layers/softmax_with_loss.hpp"
#include "dlfs/nets/sequential_net.hpp"
#include "dlfs/rng.hpp"
#include "dlfs/train/model_file.hpp"
#include "dlfs/train/onnx_export.hpp"
#include "dlfs/train/trainer.hpp"
#include "integration/robust_util.hpp"

using namespace dlfs_robust;
using nlohmann::json;

namespace {

const std::string kScript = std::string(DLFS_SOURCE_DIR) + "/tests/integration/onnx_check.py";

bool python_imports(const std::string& module) {
  if (!python_has_numpy()) return false;
  return std::system((std::string(kSystemPython) + " -c 'import " + module + "' >/dev/null 2>&1").c_str()) == 0;
}

// The nets: the train flags, and the net the file's __config__ names.
struct NetCase {
  std::string tag;
  std::vector<std::string> flags;
  std::string net;
};

const std::vector<NetCase>& cases() {
  static const std::vector<NetCase> c = {
      {"two-layer", {"--net", "two-layer", "--iters", "100"}, "two-layer"},
      {"two-layer-sigmoid", {"--net", "two-layer-sigmoid", "--lr", "1", "--iters", "100"}, "two-layer-sigmoid"},
      {"multi-layer-relu", {"--net", "multi-layer", "--hidden", "40,30", "--iters", "100"}, "multi-layer"},
      // Batch norm's running statistics and dropout's test-time scaling.
      {"multi-layer-bn-dropout",
       {"--net", "multi-layer", "--hidden", "40,30", "--batchnorm", "--dropout", "0.2", "--iters", "100"},
       "multi-layer-extend"},
      {"multi-layer-extend-sigmoid",
       {"--net", "multi-layer-extend", "--hidden", "40", "--activation", "sigmoid", "--batchnorm", "--dropout", "0.3",
        "--iters", "100"},
       "multi-layer-extend"},
      {"simple-conv", {"--net", "simple-conv", "--optimizer", "adam", "--lr", "0.001", "--iters", "60"}, "simple-conv"},
      {"deep-conv", {"--net", "deep-conv", "--optimizer", "adam", "--lr", "0.001", "--iters", "30"}, "deep-conv"},
  };
  return c;
}

struct Exported {
  std::string model, onnx, error, export_out;
};

// Each net is trained and exported once per test process, with the real binary, when a test
// first asks for it (ctest runs every test in a process of its own).
struct Fixture {
  std::unique_ptr<TempDir> dir = std::make_unique<TempDir>("onnx");
  std::map<std::string, Exported> nets;
  const Exported& net(const NetCase& c) {
    auto it = nets.find(c.tag);
    if (it != nets.end()) return it->second;
    Exported e;
    e.model = dir->file(c.tag + ".npz");
    e.onnx = dir->file(c.tag + ".onnx");
    std::vector<std::string> args = {"train", "--data-root", mnist_root(), "--save", e.model,
                                     "--out", dir->file(c.tag), "--quiet"};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    CliRun tr = run_dlfs(args, dir->path().string());
    if (tr.exit_code != 0) {
      e.error = "dlfs train: " + tr.err;
    } else {
      CliRun ex = run_dlfs({"export", "--onnx", e.onnx, "--model", e.model}, dir->path().string());
      if (ex.exit_code != 0) e.error = "dlfs export: " + ex.err;
      e.export_out = ex.out;
    }
    return nets[c.tag] = e;
  }
};

Fixture& exported() {
  static Fixture f;
  return f;
}

#define NEED_MNIST() \
  if (!have_mnist()) GTEST_SKIP() << "no MNIST in " << mnist_root()

json run_script(const std::vector<std::string>& args, const std::string& dir) {
  std::vector<std::string> a{kScript};
  a.insert(a.end(), args.begin(), args.end());
  CliRun r = run_program(kSystemPython, a, dir);
  if (r.exit_code != 0) return json{{"error", r.err}};
  return json::parse(last_line(r.out));
}

}  // namespace

TEST(OnnxExport, EveryNetPassesTheOnnxCheckerWithItsWeightsUnchanged) {
  NEED_MNIST();
  if (!python_imports("onnx")) GTEST_SKIP() << "python3-onnx is not installed (apt-get install python3-onnx)";
  Fixture& fx = exported();
  for (const NetCase& c : cases()) {
    SCOPED_TRACE(c.tag);
    const Exported& e = fx.net(c);
    ASSERT_TRUE(e.error.empty()) << e.error;
    EXPECT_NE(e.export_out.find(c.net + " net"), std::string::npos) << e.export_out;
    json j = run_script({"checker", e.onnx, e.model}, fx.dir->path().string());
    ASSERT_FALSE(j.contains("error")) << j.at("error").get<std::string>();
    EXPECT_EQ(j.at("checker"), "ok");
    EXPECT_EQ(j.at("ir_version"), 7);
    EXPECT_EQ(j.at("opsets"), json::parse(R"([["", 13]])"));
    EXPECT_EQ(j.at("outputs"), json::parse(R"(["probabilities"])"));
    // Every parameter and running statistic of the model file, bit for bit.
    EXPECT_EQ(j.at("missing"), json::array());
    EXPECT_EQ(j.at("max_weight_diff").get<double>(), 0.0);
    const auto npz = dlfs::load_npz(e.model);
    EXPECT_EQ(j.at("compared").get<std::size_t>(), npz.size() - 1);  // all but __config__
    const auto ops = j.at("ops").get<std::vector<std::string>>();
    const auto count = [&](const std::string& op) { return std::count(ops.begin(), ops.end(), op); };
    ASSERT_FALSE(ops.empty());
    EXPECT_EQ(ops.back(), "Softmax");
    const bool conv = c.net == "simple-conv" || c.net == "deep-conv";
    const json in = j.at("inputs").at(0);
    EXPECT_EQ(in, conv ? json::parse(R"(["N", 1, 28, 28])") : json::parse(R"(["N", 784])"));
    if (c.tag == "two-layer") {
      EXPECT_EQ(ops, (std::vector<std::string>{"Gemm", "Relu", "Gemm", "Softmax"}));
    }
    if (c.tag == "two-layer-sigmoid") {
      EXPECT_EQ(ops, (std::vector<std::string>{"Gemm", "Sigmoid", "Gemm", "Softmax"}));
    }
    if (c.tag == "multi-layer-bn-dropout") {
      EXPECT_EQ(count("BatchNormalization"), 2);
      EXPECT_EQ(count("Mul"), 2);  // Dropout: x * (1 - 0.2)
      EXPECT_EQ(count("Dropout"), 0);
    }
    if (c.tag == "multi-layer-extend-sigmoid") {
      EXPECT_EQ(count("Sigmoid"), 1);
    }
    if (c.net == "simple-conv") {
      EXPECT_EQ(count("Conv"), 1);
      EXPECT_EQ(count("MaxPool"), 1);
      EXPECT_EQ(count("Flatten"), 1);
    }
    if (c.net == "deep-conv") {
      EXPECT_EQ(count("Conv"), 6);
      EXPECT_EQ(count("MaxPool"), 3);
      EXPECT_EQ(count("Mul"), 2);
      EXPECT_EQ(count("Gemm"), 2);
    }
  }
}

TEST(OnnxExport, BadInputGetsOneClearLineAndLeavesFilesAlone) {
  if (!have_mnist()) GTEST_SKIP() << "no MNIST in " << mnist_root();
  Fixture& fx = exported();
  const Exported& e = fx.net(cases().front());
  ASSERT_TRUE(e.error.empty()) << e.error;
  TempDir dir("onnx-bad");
  auto one_line = [](const CliRun& r, const std::string& needle) {
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  };
  // The model as its own output: refused, the model intact.
  const std::string before = slurp(e.model);
  one_line(run_dlfs({"export", "--onnx", e.model, "--model", e.model}, dir.path().string()), "is the model file itself");
  EXPECT_EQ(slurp(e.model), before);
  // An .npz without __config__ (as NumPy's savez writes): the architecture is unknown.
  auto arrays = dlfs::load_npz(e.model);
  arrays.erase(dlfs::kModelConfigEntry);
  std::vector<dlfs::NpyArray> list;
  for (auto& [name, a] : arrays) list.push_back(a);
  const std::string bare = dir.file("bare.npz"), out = dir.file("out.onnx");
  dlfs::save_npz(bare, list);
  spit(out, "old");
  one_line(run_dlfs({"export", "--onnx", out, "--model", bare}, dir.path().string()), "no __config__ entry");
  EXPECT_EQ(slurp(out), "old");
  // A missing model, and a folder as the output.
  one_line(run_dlfs({"export", "--onnx", out, "--model", dir.file("nope.npz")}, dir.path().string()), "nope.npz");
  EXPECT_EQ(slurp(out), "old");
  one_line(run_dlfs({"export", "--onnx", dir.path().string(), "--model", e.model}, dir.path().string()), "not a regular file");
}

namespace {

void write_floats(const std::string& path, const std::vector<float>& v) {
  spit(path, std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
}

// dlfs's reference for one net: its probabilities on the first n test digits (predict's scores,
// softmaxed in double as dlfs predict and evaluate do), and the batch itself, as raw float32
// files for a runtime script. Returns the reference accuracy against the labels.
double write_reference(const Exported& e, const dlfs::DataSplit& data, std::size_t n, const std::string& x_path,
                       const std::string& ref_path) {
  auto net = dlfs::load_model<float>(e.model);
  dlfs::Tensor<float> x, t;
  dlfs::slice_batch(data.test, 0, n, !dlfs::net_wants_images(net->config()), x, t);
  const dlfs::Tensor<float>& y = net->predict(x, false);
  const std::size_t k = y.dim(1);
  std::vector<float> p(y.size());
  std::size_t correct = 0;
  for (std::size_t r = 0; r < n; ++r) {
    const float* s = y.data() + r * k;
    const double mx = *std::max_element(s, s + k);
    double sum = 0;
    for (std::size_t c = 0; c < k; ++c) sum += std::exp(double(s[c]) - mx);
    for (std::size_t c = 0; c < k; ++c) p[r * k + c] = float(std::exp(double(s[c]) - mx) / sum);
    correct += std::size_t(std::max_element(s, s + k) - s) == std::size_t(data.test.labels[r]);
  }
  write_floats(x_path, std::vector<float>(x.begin(), x.end()));
  write_floats(ref_path, p);
  return double(correct) / double(n);
}

}  // namespace

TEST(OnnxExport, OpenCvDnnReproducesDlfsProbabilitiesOnAThousandTestDigits) {
  NEED_MNIST();
  if (!python_imports("onnx")) GTEST_SKIP() << "python3-onnx is not installed (apt-get install python3-onnx)";
  if (!python_imports("cv2")) GTEST_SKIP() << "python3-opencv is not installed (apt-get install python3-opencv)";
  Fixture& fx = exported();
  const dlfs::DataSplit data = dlfs::load_dataset("mnist", mnist_root());
  const std::size_t n = 1000;
  ASSERT_GE(data.test.size(), n);
  for (const NetCase& c : cases()) {
    SCOPED_TRACE(c.tag);
    const Exported& e = fx.net(c);
    ASSERT_TRUE(e.error.empty()) << e.error;
    const std::string xs = fx.dir->file(c.tag + ".x.f32"), ref = fx.dir->file(c.tag + ".ref.f32");
    const double acc = write_reference(e, data, n, xs, ref);
    // The nets have learned something, so agreeing probabilities are not a uniform 0.1 everywhere.
    EXPECT_GT(acc, 0.3);
    json j = run_script({"opencv", e.onnx, xs, ref}, fx.dir->path().string());
    ASSERT_FALSE(j.contains("error")) << j.at("error").get<std::string>();
    ASSERT_EQ(j.at("shape"), json::array({n, 10})) << j.dump();
    EXPECT_LE(j.at("max_abs_diff").get<double>(), 1e-5) << j.dump();
    EXPECT_EQ(j.at("argmax_mismatches").get<int>(), 0) << j.dump();
    std::printf("%-27s accuracy %.3f, OpenCV max |p - dlfs p| %.2g\n", c.tag.c_str(), acc,
                j.at("max_abs_diff").get<double>());
  }
}

namespace {

constexpr const char* kOrtPackage = "onnxruntime-node@1.31.1";

// onnxruntime-node installed with `npm install --ignore-scripts` (its install script would
// download more; the CPU binary for linux-x64 is in the tarball) into a cache folder kept across
// runs: $DLFS_NPM_CACHE, else ~/.cache/dlfs/npm. Returns the folder, or "" with the reason.
std::string onnxruntime_node(std::string& why) {
  if (std::system("command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1") != 0) {
    why = "node or npm is not installed";
    return "";
  }
  const char* env = std::getenv("DLFS_NPM_CACHE");
  const char* home = std::getenv("HOME");
  if (!env && !home) {
    why = "neither DLFS_NPM_CACHE nor HOME is set: no folder for the npm cache";
    return "";
  }
  const std::string dir = env ? env : std::string(home) + "/.cache/dlfs/npm";
  const std::string pkg = dir + "/node_modules/onnxruntime-node/package.json";
  if (std::filesystem::exists(pkg) && slurp(pkg).find("\"version\": \"1.31.1\"") != std::string::npos) return dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    why = "cannot create the npm cache folder " + dir + ": " + ec.message();
    return "";
  }
  CliRun r = run_program("/usr/bin/env",
                         {"npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", "--no-save",
                          "--fetch-retries=1", "--prefix", dir, kOrtPackage},
                         dir);
  if (r.exit_code != 0 || !std::filesystem::exists(pkg)) {
    why = std::string("npm install --ignore-scripts ") + kOrtPackage + " failed: " + last_line(r.err);
    return "";
  }
  return dir;
}

}  // namespace

TEST(OnnxExport, OnnxRuntimeNodeReproducesDlfsProbabilitiesOnAThousandTestDigits) {
  NEED_MNIST();
  std::string why;
  const std::string modules = onnxruntime_node(why);
  if (modules.empty()) GTEST_SKIP() << "onnxruntime-node unavailable: " << why;
  const std::string script = std::string(DLFS_SOURCE_DIR) + "/tests/integration/onnx_ort.js";
  // Whether the binary loads here at all (a platform without a prebuilt one, an old Node.js).
  CliRun probe = run_program("/usr/bin/env", {"node", "-e", "require(process.argv[1])", modules + "/node_modules/onnxruntime-node"},
                             modules);
  if (probe.exit_code != 0) GTEST_SKIP() << "onnxruntime-node does not load on this machine: " << last_line(probe.err);
  Fixture& fx = exported();
  const dlfs::DataSplit data = dlfs::load_dataset("mnist", mnist_root());
  const std::size_t n = 1000;
  ASSERT_GE(data.test.size(), n);
  for (const NetCase& c : cases()) {
    SCOPED_TRACE(c.tag);
    const Exported& e = fx.net(c);
    ASSERT_TRUE(e.error.empty()) << e.error;
    const std::string xs = fx.dir->file(c.tag + ".x.f32"), ref = fx.dir->file(c.tag + ".ref.f32");
    EXPECT_GT(write_reference(e, data, n, xs, ref), 0.3);
    const bool conv = c.net == "simple-conv" || c.net == "deep-conv";
    CliRun r = run_program("/usr/bin/env", {"node", script, modules, e.onnx, xs, ref, conv ? "1,28,28" : "784"},
                           fx.dir->path().string());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json j = json::parse(last_line(r.out));
    ASSERT_EQ(j.at("shape"), json::array({n, 10})) << j.dump();
    EXPECT_LE(j.at("max_abs_diff").get<double>(), 1e-5) << j.dump();
    EXPECT_EQ(j.at("argmax_mismatches").get<int>(), 0) << j.dump();
    std::printf("%-27s ONNX Runtime max |p - dlfs p| %.2g\n", c.tag.c_str(), j.at("max_abs_diff").get<double>());
  }
}

// A Keras-style Sequential net on (1, 28, 28) images whose batch norm sees the 4-D tensor (its
// Flatten() is nothing at run time, so the book's layer normalises each of the 784 pixels): the
// export wraps ONNX's per-channel BatchNormalization in Flatten and Reshape. Random weights and
// running statistics (no training needed to compare two runtimes), exported by the binary.
TEST(OnnxExport, SequentialNetWithBatchNormOnImagesMatchesInOpenCv) {
  NEED_MNIST();
  if (!python_imports("onnx") || !python_imports("cv2"))
    GTEST_SKIP() << "python3-onnx or python3-opencv is not installed (apt-get install python3-onnx python3-opencv)";
  using dlfs::LayerSpec;
  std::vector<LayerSpec> specs(5);
  specs[0].kind = "Flatten";
  specs[1].kind = "BatchNormalization";
  specs[2].kind = "Dense", specs[2].units = 32, specs[2].activation = "relu";
  specs[3].kind = "Dropout", specs[3].rate = 0.25;
  specs[4].kind = "Dense", specs[4].units = 10, specs[4].activation = "softmax";
  dlfs::SequentialNet<float> net(specs, {1, 28, 28}, 5);
  dlfs::Rng rng(11);
  for (const auto& layer : net.layers())
    if (auto* bn = dynamic_cast<dlfs::BatchNormalization<float>*>(layer.get()))
      for (std::size_t j = 0; j < bn->features(); ++j) {
        bn->running_mean()[j] = float(0.5 * rng.uniform());
        bn->running_var()[j] = float(0.05 + 0.2 * rng.uniform());
        bn->gamma().value[j] = float(0.5 + rng.uniform());
        bn->beta().value[j] = float(rng.uniform() - 0.5);
      }
  TempDir dir("onnx-seq");
  Exported e{dir.file("seq.npz"), dir.file("seq.onnx"), "", ""};
  dlfs::save_model(net, e.model);
  CliRun ex = run_dlfs({"export", "--onnx", e.onnx, "--model", e.model}, dir.path().string());
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  json j = run_script({"checker", e.onnx, e.model}, dir.path().string());
  ASSERT_FALSE(j.contains("error")) << j.at("error").get<std::string>();
  EXPECT_EQ(j.at("missing"), json::array());
  EXPECT_EQ(j.at("max_weight_diff").get<double>(), 0.0);
  EXPECT_EQ(j.at("ops"), json::parse(R"(["Flatten", "BatchNormalization", "Reshape", "Flatten", "Gemm", "Relu", "Mul",
                                         "Gemm", "Softmax"])"));
  EXPECT_EQ(j.at("inputs").at(0), json::parse(R"(["N", 1, 28, 28])"));
  // The reference batch: images, as the net takes them (net_wants_images is false for a
  // Sequential, so slice_batch would flatten; this net wants (N, 1, 28, 28)).
  const dlfs::DataSplit data = dlfs::load_dataset("mnist", mnist_root());
  const std::size_t n = 1000;
  ASSERT_GE(data.test.size(), n);
  dlfs::Tensor<float> x, t;
  dlfs::slice_batch(data.test, 0, n, false, x, t);
  ASSERT_EQ(x.shape(), (dlfs::Shape{n, 1, 28, 28}));
  auto loaded = dlfs::load_model<float>(e.model);
  const dlfs::Tensor<float>& y = loaded->predict(x, false);
  std::vector<float> p(y.size());
  double spread = 0;  // how far from uniform the probabilities are, so that agreement means something
  for (std::size_t r = 0; r < n; ++r) {
    const float* s = y.data() + r * 10;
    const double mx = *std::max_element(s, s + 10);
    double sum = 0;
    for (std::size_t c = 0; c < 10; ++c) sum += std::exp(double(s[c]) - mx);
    for (std::size_t c = 0; c < 10; ++c) {
      p[r * 10 + c] = float(std::exp(double(s[c]) - mx) / sum);
      spread = std::max(spread, std::abs(double(p[r * 10 + c]) - 0.1));
    }
  }
  EXPECT_GT(spread, 0.1);
  write_floats(dir.file("x.f32"), std::vector<float>(x.begin(), x.end()));
  write_floats(dir.file("ref.f32"), p);
  j = run_script({"opencv", e.onnx, dir.file("x.f32"), dir.file("ref.f32")}, dir.path().string());
  ASSERT_FALSE(j.contains("error")) << j.at("error").get<std::string>();
  ASSERT_EQ(j.at("shape"), json::array({n, 10})) << j.dump();
  EXPECT_LE(j.at("max_abs_diff").get<double>(), 1e-5) << j.dump();
  EXPECT_EQ(j.at("argmax_mismatches").get<int>(), 0) << j.dump();
}

namespace {

// A layer dlfs has no ONNX mapping for.
class Swish : public dlfs::Layer<float> {
 public:
  std::string type() const override { return "Swish"; }
  const dlfs::Tensor<float>& forward(const dlfs::Tensor<float>& x, bool) override { return out_ = x; }
  const dlfs::Tensor<float>& backward(const dlfs::Tensor<float>& dout) override { return dx_ = dout; }

 private:
  dlfs::Tensor<float> out_, dx_;
};

// One layer then SoftmaxWithLoss, on (1, 4, 4) images (or no input size at all).
class OneLayerNet : public dlfs::LayerNet<float> {
 public:
  OneLayerNet(std::unique_ptr<dlfs::Layer<float>> layer, bool with_input) : with_input_(with_input) {
    this->add(std::move(layer), "1");
    this->set_last(std::make_unique<dlfs::SoftmaxWithLoss<float>>());
  }
  std::string name() const override { return "one-layer"; }
  nlohmann::json config() const override {
    return with_input_ ? json{{"net", name()}, {"input_dim", {1, 4, 4}}} : json{{"net", name()}};
  }

 private:
  bool with_input_;
};

std::string export_error(dlfs::Net<float>& net) {
  try {
    dlfs::onnx_model_bytes(net);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(OnnxExport, LayersWithoutAnExactOnnxEquivalentAreRefusedByName) {
  OneLayerNet swish(std::make_unique<Swish>(), true);
  EXPECT_EQ(export_error(swish), "ONNX export: layer Swish1: layer type Swish has no ONNX mapping");
  OneLayerNet padded(std::make_unique<dlfs::Pooling<float>>(2, 2, 2, 1), true);
  EXPECT_EQ(export_error(padded),
            "ONNX export: layer Pooling1: pad 1 has no MaxPool equivalent (the book pads with zeros, ONNX with -inf)");
  OneLayerNet no_input(std::make_unique<dlfs::Pooling<float>>(2, 2, 2, 0), false);
  EXPECT_EQ(export_error(no_input), "ONNX export: the one-layer net's config names no input size (input_dim or input_size)");
  // The same pooling without padding gets past its layer (and is refused for its 4-D scores): the
  // refusal above is about the padding alone.
  OneLayerNet unpadded(std::make_unique<dlfs::Pooling<float>>(2, 2, 2, 0), true);
  EXPECT_EQ(export_error(unpadded), "ONNX export: the net's scores are (1, 1, 2, 2), not (N, classes)");
}
