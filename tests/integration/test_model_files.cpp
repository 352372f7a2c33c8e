// Model files: save, load and predict give bit-identical outputs for every net of the registry,
// in float and double, batch-norm running statistics included; NumPy opens dlfs models as they
// are and dlfs loads NumPy's own savez/savez_compressed files; a save killed midway leaves the
// previous file intact.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <map>

#include "dlfs/data/mnist.hpp"
#include "dlfs/io/npz.hpp"
#include "dlfs/nets/registry.hpp"
#include "dlfs/rng.hpp"
#include "dlfs/train/model_file.hpp"
#include "integration/robust_util.hpp"

using namespace dlfs;
using namespace dlfs_robust;
using json = nlohmann::json;

namespace {

// A small instance of each registered net (the round trip is about the file, not the size).
// Every name of net_names() must be here, so a new net cannot escape this test.
std::map<std::string, json> small_configs() {
  json conv2 = {{"filter_num", 2}};
  return {
      {"two-layer", {{"net", "two-layer"}, {"input_size", 36}, {"hidden_size", 7}, {"output_size", 10}}},
      {"two-layer-sigmoid", {{"net", "two-layer-sigmoid"}, {"input_size", 36}, {"hidden_size", 7}, {"output_size", 10}}},
      {"multi-layer", {{"net", "multi-layer"}, {"input_size", 36}, {"hidden_size_list", {9, 8}}, {"output_size", 10}}},
      {"multi-layer-extend",
       {{"net", "multi-layer-extend"},
        {"input_size", 36},
        {"hidden_size_list", {9, 8}},
        {"output_size", 10},
        {"use_batchnorm", true},
        {"use_dropout", true},
        {"dropout_ration", 0.2}}},
      {"simple-conv",
       {{"net", "simple-conv"}, {"input_dim", {1, 6, 6}}, {"conv_param", {{"filter_num", 3}, {"filter_size", 3}}},
        {"hidden_size", 5}}},
      {"deep-conv",
       {{"net", "deep-conv"}, {"input_dim", {1, 8, 8}}, {"conv_param_1", conv2}, {"conv_param_2", conv2},
        {"conv_param_3", conv2}, {"conv_param_4", conv2}, {"conv_param_5", conv2}, {"conv_param_6", conv2},
        {"hidden_size", 6}}},
  };
}

template <class T>
Tensor<T> input_for(const json& config, std::size_t n, Rng& rng) {
  Shape s = config.contains("input_dim")
                ? Shape{n, config["input_dim"][0].get<std::size_t>(), config["input_dim"][1].get<std::size_t>(),
                        config["input_dim"][2].get<std::size_t>()}
                : Shape{n, config["input_size"].get<std::size_t>()};
  Tensor<T> x(s);
  for (auto& v : x) v = static_cast<T>(rng.uniform());
  return x;
}

template <class T>
bool same_bytes(const Tensor<T>& a, const Tensor<T>& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

// Trains a few steps so that weights, biases and batch-norm running statistics all move away
// from their initial values, then checks that save/load reproduces predict() bit for bit.
template <class T>
void round_trip(const std::string& name, const json& config) {
  SCOPED_TRACE(name + " " + npy_dtype_of<T>());
  TempDir dir("model");
  auto net = make_net<T>(config, 7);
  Rng rng(11);
  Tensor<T> x = input_for<T>(config, 6, rng);
  Tensor<T> t(Shape{6});
  for (std::size_t i = 0; i < 6; ++i) t[i] = T(i % 10);
  for (int step = 0; step < 3; ++step) {
    net->gradient(x, t);
    for (Param<T>* p : net->params())
      for (std::size_t i = 0; i < p->value.size(); ++i) p->value[i] -= T(0.1) * p->grad[i];
  }
  for (const Buffer<T>& b : net->buffers()) {
    // Running means start at 0: after three training batches they must not be zero any more.
    if (b.name.rfind("running_mean", 0) == 0) {
      EXPECT_NE((*b.tensor)[0], T(0)) << b.name;
    }
  }
  if (name == "multi-layer-extend") {
    EXPECT_EQ(net->buffers().size(), 4u);  // running_mean1/var1, running_mean2/var2
  }
  const Tensor<T> before = net->predict(x, false);
  const std::string path = dir.file("model.npz");
  save_model(*net, path);

  auto loaded = load_model<T>(path);
  EXPECT_EQ(loaded->config(), net->config());
  auto p0 = net->params(), p1 = loaded->params();
  ASSERT_EQ(p0.size(), p1.size());
  for (std::size_t i = 0; i < p0.size(); ++i) {
    EXPECT_EQ(p1[i]->name, p0[i]->name);
    EXPECT_TRUE(same_bytes(p0[i]->value, p1[i]->value)) << p0[i]->name;
  }
  auto b0 = net->buffers(), b1 = loaded->buffers();
  ASSERT_EQ(b0.size(), b1.size());
  for (std::size_t i = 0; i < b0.size(); ++i) {
    EXPECT_EQ(b1[i].name, b0[i].name);
    EXPECT_TRUE(same_bytes(*b0[i].tensor, *b1[i].tensor)) << b0[i].name;
  }
  EXPECT_TRUE(same_bytes(before, loaded->predict(x, false)));
}

}  // namespace

TEST(ModelFiles, EveryRegisteredNetRoundTripsBitForBitInFloatAndDouble) {
  auto configs = small_configs();
  for (const std::string& name : net_names()) {
    ASSERT_TRUE(configs.count(name)) << "no round-trip config for the registered net " << name;
    round_trip<float>(name, configs[name]);
    round_trip<double>(name, configs[name]);
  }
}

TEST(ModelFiles, FloatModelLoadsIntoDoubleNetAndBack) {
  auto config = small_configs()["two-layer"];
  TempDir dir("model");
  auto net = make_net<float>(config, 3);
  save_model(*net, dir.file("f.npz"));
  auto d = load_model<double>(dir.file("f.npz"));
  EXPECT_EQ(d->param("W1").value[5], double(net->param("W1").value[5]));
}

TEST(ModelFiles, MissingConfigNeedsAnArchitecture) {
  TempDir dir("model");
  auto net = make_net<float>(small_configs()["two-layer"], 3);
  std::vector<NpyArray> arrays;
  for (Param<float>* p : net->params()) arrays.push_back(to_npy(p->name, p->value));
  save_npz(dir.file("bare.npz"), arrays);
  try {
    load_model<float>(dir.file("bare.npz"));
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no __config__ entry, and no architecture was given"), std::string::npos)
        << e.what();
  }
  json arch = small_configs()["two-layer"];
  auto loaded = load_model<float>(dir.file("bare.npz"), &arch);
  EXPECT_TRUE(same_bytes(loaded->param("W2").value, net->param("W2").value));
}

// --- NumPy interchange -------------------------------------------------------------------------

namespace {

template <class T>
Tensor<T> read_npy(const std::string& path) {
  std::string bytes = slurp(path);
  return npy_as<T>(npy_decode(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), path));
}

int run_python(const std::string& script_path) {
  return std::system((std::string(kSystemPython) + " '" + script_path + "'").c_str());
}

}  // namespace

TEST(ModelFiles, NumPyOpensADlfsModelAsIs) {
  if (!python_has_numpy()) GTEST_SKIP() << kSystemPython << " has no numpy";
  TempDir dir("model");
  auto net = make_net<float>(small_configs()["multi-layer-extend"], 5);
  save_model(*net, dir.file("m.npz"));
  auto dnet = make_net<double>(small_configs()["two-layer"], 5);
  save_model(*dnet, dir.file("d.npz"));
  // NumPy checks names, shapes, dtypes, a value, and decodes the architecture JSON.
  spit(dir.file("check.py"), std::string(R"PY(
import json
import numpy as np
d = ')PY") + dir.path().string() + R"PY('
m = np.load(d + '/m.npz')
want = {'W1': (36, 9), 'b1': (9,), 'gamma1': (9,), 'beta1': (9,), 'W2': (9, 8), 'b2': (8,), 'gamma2': (8,),
        'beta2': (8,), 'W3': (8, 10), 'b3': (10,), 'running_mean1': (9,), 'running_var1': (9,),
        'running_mean2': (8,), 'running_var2': (8,)}
assert set(m.files) == set(want) | {'__config__'}, sorted(m.files)
for k, s in want.items():
    assert m[k].shape == s, (k, m[k].shape, s)
    assert m[k].dtype == np.float32, (k, m[k].dtype)
cfg = json.loads(bytes(m['__config__']).decode())
assert cfg['format'] == 'dlfs-model' and cfg['dtype'] == '<f4', cfg
assert cfg['architecture']['net'] == 'multi-layer-extend' and cfg['architecture']['use_batchnorm'] is True, cfg
dd = np.load(d + '/d.npz')
assert dd['W1'].dtype == np.float64 and dd['W1'].shape == (36, 7)
np.save(d + '/w1_from_numpy.npy', dd['W1'])
print('numpy ok')
)PY");
  ASSERT_EQ(run_python(dir.file("check.py")), 0);
  // NumPy read the same doubles dlfs wrote.
  Tensor<double> w1 = read_npy<double>(dir.file("w1_from_numpy.npy"));
  EXPECT_TRUE(same_bytes(w1, dnet->param("W1").value));
}

// NumPy writes a TwoLayerNet (784, 50, 10) with savez and savez_compressed in float64 and float32
// and computes its scores for the first five MNIST test digits by hand (relu(x W1 + b1) W2 + b2).
// dlfs loads each file (architecture from the caller, as the CLI's --net flags) and must give
// the same scores, and `dlfs predict` the same class.
TEST(ModelFiles, DlfsLoadsNumPySavezAndSavezCompressed) {
  if (!python_has_numpy()) GTEST_SKIP() << kSystemPython << " has no numpy";
  if (!have_mnist()) GTEST_SKIP() << "no MNIST in " << mnist_root();
  TempDir dir("model");
  const std::string images = mnist_root() + "/mnist/t10k-images-idx3-ubyte";
  spit(dir.file("make.py"), std::string(R"PY(
import numpy as np
d = ')PY") + dir.path().string() + R"PY('
rng = np.random.default_rng(0)
W1 = rng.normal(0, 0.05, (784, 50)); b1 = rng.normal(0, 0.1, 50)
W2 = rng.normal(0, 0.3, (50, 10));   b2 = rng.normal(0, 0.1, 10)
x = np.fromfile(')PY" + images + R"PY(', dtype=np.uint8, offset=16, count=5 * 784).reshape(5, 784) / 255.0
for dt, tag in ((np.float64, 'f8'), (np.float32, 'f4')):
    p = {k: v.astype(dt) for k, v in dict(W1=W1, b1=b1, W2=W2, b2=b2).items()}
    np.savez(d + '/plain_' + tag + '.npz', **p)
    np.savez_compressed(d + '/compressed_' + tag + '.npz', **p)
    h = np.maximum(0, x @ p['W1'].astype(np.float64) + p['b1'])
    np.save(d + '/scores_' + tag + '.npy', h @ p['W2'].astype(np.float64) + p['b2'])
)PY");
  ASSERT_EQ(run_python(dir.file("make.py")), 0);
  DataSplit data = load_dataset("mnist", mnist_root());
  Tensor<float> x, t;
  Tensor<double> xd, td;
  std::vector<std::size_t> idx = {0, 1, 2, 3, 4};
  gather_batch(data.test, idx.data(), 5, true, x, t);
  gather_batch(data.test, idx.data(), 5, true, xd, td);
  json arch = {{"net", "two-layer"}, {"input_size", 784}, {"hidden_size", 50}, {"output_size", 10}};
  for (std::string tag : {"f8", "f4"}) {
    Tensor<double> want = read_npy<double>(dir.file("scores_" + tag + ".npy"));
    ASSERT_EQ(want.shape(), (Shape{5, 10}));
    for (std::string kind : {"plain_", "compressed_"}) {
      const std::string file = dir.file(kind + tag + ".npz");
      SCOPED_TRACE(file);
      auto net = load_model<double>(file, &arch);
      const Tensor<double>& y = net->predict(xd, false);
      for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(y[i], want[i], 1e-9 * (1 + std::abs(want[i])));
      auto netf = load_model<float>(file, &arch);
      const Tensor<float>& yf = netf->predict(x, false);
      for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(yf[i], want[i], 1e-4 * (1 + std::abs(want[i])));
      // The CLI: `dlfs predict --model numpy.npz --net two-layer --hidden 50` picks the same class.
      std::size_t best = 0;
      for (std::size_t k = 1; k < 10; ++k)
        if (want[k] > want[best]) best = k;
      CliRun r = run_dlfs({"predict", "--model", file, "--net", "two-layer", "--hidden", "50", "--data-root",
                        mnist_root(), "--index", "0", "--json"},
                       dir.path().string());
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_NE(r.out.find("\"predicted\":" + std::to_string(best) + ","), std::string::npos) << r.out;
    }
  }
}

// --- Killed mid-save --------------------------------------------------------------------------

// A child process saves a large model over and over onto the same path; the parent SIGKILLs it at
// a different moment each round. Whatever instant the kill lands on, the file at the path must be
// one complete model (the first one or the child's), loadable and equal to it array for array.
TEST(ModelFiles, SaveKilledMidwayLeavesThePreviousFileIntact) {
  TempDir dir("model");
  const std::string path = dir.file("model.npz");
  json small = {{"net", "two-layer"}, {"input_size", 784}, {"hidden_size", 4}, {"output_size", 10}};
  json big = {{"net", "two-layer"}, {"input_size", 784}, {"hidden_size", 3000}, {"output_size", 10}};  // 9.5 MB
  auto first = make_net<float>(small, 1);
  save_model(*first, path);
  auto second = make_net<float>(big, 2);
  for (int round = 0; round < 6; ++round) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      for (;;) save_model(*second, path);  // until killed
    }
    ::usleep(static_cast<useconds_t>(3000 + 7919 * round % 40000));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    auto loaded = load_model<float>(path);  // throws if the file were torn
    Net<float>& want = loaded->param("W1").value.shape() == first->param("W1").value.shape() ? *first : *second;
    for (const char* name : {"W1", "b1", "W2", "b2"})
      EXPECT_TRUE(same_bytes(loaded->param(name).value, want.param(name).value)) << "round " << round << " " << name;
  }
}
