// dlfs/keras.hpp: the Keras-like Sequential API over a SequentialNet (a LayerNet with the book's
// parameter names). Parameter names, shapes and Keras's parameter counts; the Keras initialisers;
// a gradient check in double through BatchNormalization and Dropout; training on real MNIST;
// evaluate against predict; and the errors for misuse.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <numeric>

#include "dlfs/data/mnist.hpp"
#include "dlfs/keras.hpp"
#include "dlfs/layers/fault.hpp"
#include "dlfs/train/gradcheck.hpp"
#include "dlfs/train/model_file.hpp"
#include "dlfs/train/trainer.hpp"

using namespace dlfs::keras;
using dlfs::ShapeError;
using ::testing::HasSubstr;

namespace {

// The test message of a throw, or "" when nothing is thrown.
template <class E, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

template <class T>
Tensor<T> random_x(std::size_t n, std::size_t d, std::uint64_t seed) {
  dlfs::Rng rng(seed);
  Tensor<T> x({n, d});
  for (auto& v : x) v = T(rng.normal());
  return x;
}

// The seed's model, with a Dropout: 784-50-50-10.
Sequential<float> seed_model(std::uint64_t seed = 0) {
  Sequential<float> model(seed);
  model.add(Dense(50, "sigmoid", 784));
  model.add(BatchNormalization());
  model.add(Dense(50, "sigmoid"));
  model.add(Dropout(0.2));
  model.add(Dense(10, "softmax"));
  return model;
}

struct Mnist {
  bool ok = false;
  dlfs::MnistArrays<float> d;
};
const Mnist& mnist() {
  static const Mnist m = [] {
    Mnist r;
    const std::string dir = std::string(DLFS_TEST_DATA_DIR) + "/mnist";
    if (!std::filesystem::exists(dir)) return r;
    r.d = dlfs::load_mnist<float>(dir, true, true, /*one_hot_label=*/true);
    r.ok = true;
    return r;
  }();
  return m;
}

// The first n rows of a tensor.
Tensor<float> head(const Tensor<float>& t, std::size_t n) {
  Shape s = t.shape();
  const std::size_t row = t.size() / s[0];
  s[0] = n;
  return Tensor<float>(s, std::vector<float>(t.begin(), t.begin() + n * row));
}

}  // namespace

TEST(Keras, ParamNamesShapesAndCounts) {
  Sequential<float> model = seed_model();
  std::vector<std::string> names;
  std::vector<Shape> shapes;
  for (auto* p : model.net().params()) {
    names.push_back(p->name);
    shapes.push_back(p->value.shape());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"W1", "b1", "gamma1", "beta1", "W2", "b2", "W3", "b3"}));
  EXPECT_EQ(shapes, (std::vector<Shape>{{784, 50}, {50}, {50}, {50}, {50, 50}, {50}, {50, 10}, {10}}));
  // Keras counts batch norm's moving mean and variance: 39250 + 200 + 2550 + 0 + 510.
  EXPECT_EQ(model.count_params(), 42510u);
  auto buffers = model.net().buffers();
  ASSERT_EQ(buffers.size(), 2u);
  EXPECT_EQ(buffers[0].name, "running_mean1");
  EXPECT_EQ(buffers[1].name, "running_var1");
  for (float v : *buffers[1].tensor) ASSERT_EQ(v, 1.0f);  // Keras's moving_variance_initializer
  for (float v : model.net().param("b1").value) ASSERT_EQ(v, 0.0f);
  for (float v : model.net().param("gamma1").value) ASSERT_EQ(v, 1.0f);

  // Layers as the book names them; the final softmax is fused into SoftmaxWithLoss.
  std::vector<std::string> layers;
  for (std::size_t i = 0; i < model.net().layers().size(); ++i) layers.push_back(model.net().layer_name(i));
  EXPECT_EQ(layers, (std::vector<std::string>{"Affine1", "Sigmoid1", "BatchNormalization1", "Affine2", "Sigmoid2",
                                              "Dropout1", "Affine3"}));
  EXPECT_EQ(model.net().last_layer().type(), "SoftmaxWithLoss");
}

TEST(Keras, SummaryTable) {
  Sequential<float> model = seed_model();
  EXPECT_EQ(model.summary_text(),
            "Model: \"sequential\"\n"
            "_______________________________________________________________________________________\n"
            " Layer (type)                               Output Shape     Param #     dlfs params\n"
            "=======================================================================================\n"
            " dense (Dense)                              (None, 50)       39250       W1 b1\n"
            "\n"
            " batch_normalization (BatchNormalization)   (None, 50)       200         gamma1 beta1\n"
            "\n"
            " dense_1 (Dense)                            (None, 50)       2550        W2 b2\n"
            "\n"
            " dropout (Dropout)                          (None, 50)       0\n"
            "\n"
            " dense_2 (Dense)                            (None, 10)       510         W3 b3\n"
            "=======================================================================================\n"
            "Total params: 42,510\n"
            "Trainable params: 42,410\n"
            "Non-trainable params: 100\n"
            "_______________________________________________________________________________________\n");
}

TEST(Keras, GlorotUniformBoundsAndVariance) {
  dlfs::Rng rng(1);
  const Tensor<double> W = dlfs::kernel_init<double>("glorot_uniform", 784, 50, rng);
  ASSERT_EQ(W.shape(), (Shape{784, 50}));
  const double limit = std::sqrt(6.0 / (784 + 50));  // 0.08482
  double lo = 0, hi = 0, sum = 0, sq = 0;
  for (double w : W) {
    lo = std::min(lo, w);
    hi = std::max(hi, w);
    sum += w;
    sq += w * w;
  }
  EXPECT_GE(lo, -limit);
  EXPECT_LT(hi, limit);
  EXPECT_LT(lo, -0.999 * limit);  // 39,200 draws reach the ends of the interval
  EXPECT_GT(hi, 0.999 * limit);
  const double n = double(W.size());
  EXPECT_NEAR(sum / n, 0.0, 0.002);
  EXPECT_NEAR(sq / n, limit * limit / 3, 0.02 * limit * limit / 3);  // variance 2 / (fan_in + fan_out)

  // The model's first kernel is the same draw: Rng(seed) in layer order.
  Sequential<double> model(1);
  model.add(Dense(50, "sigmoid", 784));
  model.add(Dense(10, "softmax"));
  EXPECT_EQ(model.net().param("W1").value, W);
}

TEST(Keras, HeNormalIsTruncatedWithKerasVariance) {
  dlfs::Rng rng(2);
  const Tensor<double> W = dlfs::kernel_init<double>("he_normal", 400, 300, rng);
  const double s = std::sqrt(2.0 / 400) / 0.87962566103423978;  // the truncated normal's stddev
  double sq = 0, max_abs = 0;
  for (double w : W) {
    sq += w * w;
    max_abs = std::max(max_abs, std::abs(w));
  }
  EXPECT_LE(max_abs, 2 * s);
  EXPECT_GT(max_abs, 1.99 * s);
  EXPECT_NEAR(sq / double(W.size()), 2.0 / 400, 0.02 * 2.0 / 400);
  // The book's weight_init_std as a number: 0.01 * N(0, 1).
  const Tensor<double> B = dlfs::kernel_init<double>("0.01", 400, 300, rng);
  double bsq = 0;
  for (double w : B) bsq += w * w;
  EXPECT_NEAR(std::sqrt(bsq / double(B.size())), 0.01, 0.0002);
}

TEST(Keras, SeedsDecideTheWeights) {
  EXPECT_EQ(seed_model(7).net().param("W2").value, seed_model(7).net().param("W2").value);
  EXPECT_NE(seed_model(7).net().param("W2").value, seed_model(8).net().param("W2").value);
}

TEST(Keras, GradientCheckInDoubleWithBatchNormAndDropout) {
  Sequential<double> model(3);
  model.add(Input({6}));
  model.add(Dense(5));  // the book's order: Affine -> BatchNorm -> activation
  model.add(BatchNormalization());
  model.add(Activation("sigmoid"));
  model.add(Dense(4, "relu"));
  model.add(Dropout(0.3));
  model.add(Dense(3));
  model.add(Activation("softmax"));
  const Tensor<double> x = random_x<double>(4, 6, 4);
  const Tensor<double> t = Tensor<double>::from({0, 2, 1, 2});

  auto rows = dlfs::gradient_check(model.net(), x, t);
  ASSERT_EQ(rows.size(), 8u);  // W1 b1 gamma1 beta1 W2 b2 W3 b3
  for (const auto& r : rows) {
    double max_grad = 0;
    for (double g : model.net().param(r.name).grad) max_grad = std::max(max_grad, std::abs(g));
    std::printf("%s: mean |diff| %.3g, max |grad| %.3g\n", r.name.c_str(), r.mean_abs_diff, max_grad);
    EXPECT_LE(r.mean_abs_diff, 1e-6 * std::max(max_grad, 1e-3)) << r.name;
  }
  // b1 feeds batch norm, which subtracts the batch mean: its true gradient is zero.
  for (double g : model.net().param("b1").grad) EXPECT_NEAR(g, 0.0, 1e-12);

  // The check can fail: a wrong sigmoid backward shows up in W1.
  dlfs::set_injected_fault(dlfs::Fault::SigmoidGrad);
  auto bad = dlfs::gradient_check(model.net(), x, t);
  dlfs::set_injected_fault(dlfs::Fault::None);
  EXPECT_GT(bad[0].mean_abs_diff, 1e-4);
}

TEST(Keras, FitOnRealMnistSubset) {
  if (!mnist().ok) GTEST_SKIP() << "no data/mnist";
  const auto& d = mnist().d;
  const Tensor<float> x = head(d.x_train, 1000), y = head(d.t_train, 1000);
  Sequential<float> model(0);
  model.add(Dense(50, "relu", 784));
  model.add(Dense(10, "softmax"));
  model.compile(Adam(0.01), "categorical_crossentropy", {"accuracy"});
  History h = model.fit(x, y, {.batch_size = 100, .epochs = 3, .verbose = 0, .validation_data = {d.x_test, d.t_test}});
  ASSERT_EQ(h.epoch, (std::vector<int>{0, 1, 2}));
  ASSERT_EQ(h.loss.size(), 3u);
  ASSERT_EQ(h.accuracy.size(), 3u);
  ASSERT_EQ(h.val_loss.size(), 3u);
  ASSERT_EQ(h.val_accuracy.size(), 3u);
  EXPECT_EQ(h.run.train_loss.size(), 30u);  // ceil(1000 / 100) batches per epoch
  for (std::size_t e = 0; e < 3; ++e)
    std::printf("epoch %zu: loss %.4f acc %.4f val_loss %.4f val_acc %.4f\n", e, h.loss[e], h.accuracy[e],
                h.val_loss[e], h.val_accuracy[e]);
  EXPECT_LT(h.loss[2], h.loss[0]);
  EXPECT_GT(h.val_accuracy[2], 0.85);  // measured 0.881; chance is 0.1
  // The last val_accuracy is what evaluate says about the final weights.
  auto [loss, acc] = model.evaluate(d.x_test, d.t_test);
  EXPECT_DOUBLE_EQ(acc, h.val_accuracy[2]);
  EXPECT_NEAR(loss, h.val_loss[2], 1e-6);
}

TEST(Keras, EvaluateAgreesWithPredict) {
  if (!mnist().ok) GTEST_SKIP() << "no data/mnist";
  const auto& d = mnist().d;
  Sequential<float> model = seed_model(5);
  model.compile("adam", "categorical_crossentropy", {"accuracy"});
  model.fit(head(d.x_train, 500), head(d.t_train, 500), {.batch_size = 50, .epochs = 2, .verbose = 0});

  const Tensor<float> p = model.predict(d.x_test, 64);
  ASSERT_EQ(p.shape(), (Shape{2000, 10}));
  std::size_t correct = 0;
  double loss = 0;
  for (std::size_t i = 0; i < 2000; ++i) {
    const float* r = p.data() + i * 10;
    double row_sum = std::accumulate(r, r + 10, 0.0);
    ASSERT_NEAR(row_sum, 1.0, 1e-5);
    std::size_t label = 0;
    while (d.t_test(i, label) != 1.0f) ++label;
    correct += std::size_t(std::max_element(r, r + 10) - r) == label;
    loss -= std::log(double(r[label]) + 1e-7);
  }
  auto [eval_loss, eval_acc] = model.evaluate(d.x_test, d.t_test, 128);
  EXPECT_DOUBLE_EQ(eval_acc, double(correct) / 2000);
  EXPECT_NEAR(eval_loss, loss / 2000, 1e-5);
  EXPECT_GT(eval_acc, 0.1);
}

TEST(Keras, SparseAndOneHotLabelsTrainTheSame) {
  const Tensor<float> x = random_x<float>(64, 8, 9);
  Tensor<float> idx({64}), hot({64, 3});
  for (std::size_t i = 0; i < 64; ++i) {
    idx[i] = float(i % 3);
    hot(i, i % 3) = 1;
  }
  auto make = [] {
    Sequential<float> m({Dense(16, "relu", 8), BatchNormalization(), Dropout(0.1), Dense(3, "softmax")}, 11);
    return m;
  };
  Sequential<float> a = make(), b = make();
  a.compile(SGD(0.1, 0.9), "sparse_categorical_crossentropy", {"acc"});
  b.compile(SGD(0.1, 0.9), "categorical_crossentropy", {"accuracy"});
  History ha = a.fit(x, idx, {.batch_size = 10, .epochs = 4, .verbose = 0, .validation_split = 0.25});
  History hb = b.fit(x, hot, {.batch_size = 10, .epochs = 4, .verbose = 0, .validation_split = 0.25});
  EXPECT_EQ(ha.loss, hb.loss);
  EXPECT_EQ(ha.val_accuracy, hb.val_accuracy);
  EXPECT_EQ(ha.run.train_loss.size(), 4u * 5u);  // 48 training rows: ceil(48 / 10) = 5 batches
  EXPECT_EQ(a.net().param("W1").value, b.net().param("W1").value);
}

TEST(Keras, FlattenFeedsImagesToDense) {
  // Flatten has no parameters, so both models draw the same weights and agree exactly.
  Sequential<double> flat(4), images(4);
  flat.add(Input({12}));
  flat.add(Dense(5, "relu"));
  flat.add(Dense(3, "softmax"));
  images.add(Flatten({3, 2, 2}));
  images.add(Dense(5, "relu"));
  images.add(Dense(3, "softmax"));
  EXPECT_THAT(images.summary_text(), HasSubstr("flatten (Flatten)"));
  const Tensor<double> x = random_x<double>(7, 12, 5);
  EXPECT_EQ(images.predict(x.reshaped({7, 3, 2, 2})), flat.predict(x));
  EXPECT_TRUE(images.net().config().contains("input_dim"));  // the Trainer feeds it (N, C, H, W)
}

TEST(Keras, ConfigRebuildsTheNet) {
  Sequential<float> model = seed_model(2);
  const nlohmann::json c = model.net().config();
  EXPECT_EQ(c["net"], "sequential");
  EXPECT_EQ(c["layers"][0]["units"], 50);
  EXPECT_EQ(c["layers"][3]["rate"], 0.2);
  auto net = dlfs::make_sequential_net<float>(c, 2);
  EXPECT_EQ(net->config(), c);
  EXPECT_EQ(net->param("W3").value, model.net().param("W3").value);
  EXPECT_THAT(error_of<std::invalid_argument>([&] {
                nlohmann::json bad = c;
                bad["layers"][1]["class_name"] = "LayerNorm";
                dlfs::make_sequential_net<float>(bad, 0);
              }),
              HasSubstr("unknown class_name 'LayerNorm'"));
}

TEST(Keras, NetWorksWithTrainerAndModelFiles) {
  if (!mnist().ok) GTEST_SKIP() << "no data/mnist";
  const dlfs::DataSplit data = dlfs::load_dataset("mnist", DLFS_TEST_DATA_DIR);
  Sequential<float> model(6);
  model.add(Dense(50, "relu", 784));
  model.add(Dense(10, "softmax"));
  // The book's Trainer drives the same net: 1 epoch of 80 batches of 100.
  dlfs::TrainConfig cfg;
  cfg.epochs = 1;
  cfg.optimizer = Adam();
  cfg.verbose = false;
  dlfs::Trainer<float> trainer(model.net(), data.train, data.test, cfg);
  const dlfs::History& h = trainer.train();
  ASSERT_EQ(h.test_acc.size(), 1u);
  EXPECT_GT(h.test_acc[0], 0.8);
  // ... and what it learnt is what the Keras front end evaluates.
  model.compile("adam", "categorical_crossentropy", {"accuracy"});
  EXPECT_DOUBLE_EQ(model.evaluate(mnist().d.x_test, mnist().d.t_test).accuracy, h.test_acc[0]);

  const std::string path = (std::filesystem::temp_directory_path() / "dlfs_test_keras_model.npz").string();
  dlfs::save_model(model.net(), path);
  EXPECT_EQ(dlfs::read_model_config(path), model.net().config());
  std::filesystem::remove(path);
}

TEST(Keras, MisuseGivesClearErrors) {
  const Tensor<float> x = random_x<float>(10, 784, 1);
  Tensor<float> y({10, 10});
  for (std::size_t i = 0; i < 10; ++i) y(i, i) = 1;

  Sequential<float> m = seed_model();
  EXPECT_THAT(error_of<std::runtime_error>([&] { m.fit(x, y); }), HasSubstr("not compiled; call compile("));
  EXPECT_THAT(error_of<std::runtime_error>([&] { m.evaluate(x, y); }), HasSubstr("not compiled"));
  EXPECT_THAT(error_of<std::invalid_argument>([&] { m.compile("sgd", "mse"); }),
              HasSubstr("unknown loss 'mse' (accepted: categorical_crossentropy"));
  EXPECT_THAT(error_of<std::invalid_argument>([&] { m.compile("adadelta", "categorical_crossentropy"); }),
              HasSubstr("unknown optimizer 'adadelta'"));
  EXPECT_THAT(error_of<std::invalid_argument>([&] { m.compile("sgd", "categorical_crossentropy", {"auc"}); }),
              HasSubstr("unknown metric 'auc'"));

  m.compile("sgd", "categorical_crossentropy", {"accuracy"});
  EXPECT_THAT(error_of<ShapeError>([&] { m.fit(x.reshaped({10, 28, 28}), y); }),
              HasSubstr("Sequential::fit: x: expected (N, 784), got (10, 28, 28)"));
  EXPECT_THAT(error_of<ShapeError>([&] { m.fit(x, Tensor<float>({10})); }),
              HasSubstr("categorical_crossentropy expects one-hot y of shape (10, 10), got (10,); for class indices "
                        "use sparse_categorical_crossentropy"));
  EXPECT_THAT(error_of<ShapeError>([&] { m.fit(x, head(y, 9)); }), HasSubstr("shape (10, 10), got (9, 10)"));
  Tensor<float> soft = y;
  soft(3, 0) = 0.5f;
  EXPECT_THAT(error_of<std::invalid_argument>([&] { m.fit(x, soft); }), HasSubstr("row 3 of y is not one-hot"));
  EXPECT_THAT(error_of<std::invalid_argument>([&] { m.fit(x, y, {.batch_size = 0}); }),
              HasSubstr("batch_size must be at least 1, got 0"));
  EXPECT_THAT(error_of<std::invalid_argument>(
                  [&] { m.fit(x, y, {.validation_split = 0.2, .validation_data = {x, y}}); }),
              HasSubstr("validation_split or validation_data, not both"));
  EXPECT_THAT(error_of<std::runtime_error>([&] { m.add(Dense(10, "softmax")); }), HasSubstr("already built"));

  Sequential<float> sparse = seed_model();
  sparse.compile("sgd", "sparse_categorical_crossentropy");
  EXPECT_THAT(error_of<ShapeError>([&] { sparse.fit(x, y); }),
              HasSubstr("expects class indices y of shape (10,), got (10, 10); for one-hot labels use "
                        "categorical_crossentropy"));
  Tensor<float> idx({10}, 1.0f);
  idx[4] = 10;
  EXPECT_THAT(error_of<std::invalid_argument>([&] { sparse.fit(x, idx); }),
              HasSubstr("y[4] = 10.000000 is not a class index in [0, 10)"));

  // Building the layers.
  Sequential<float> s;
  EXPECT_THAT(error_of<std::invalid_argument>([&] { s.add(Dense(50, "tanh", 784)); }),
              HasSubstr("layer 1, Dense(50, \"tanh\"): unknown activation 'tanh' (accepted: linear, relu, sigmoid, softmax)"));
  EXPECT_THAT(error_of<std::invalid_argument>([&] { s.add(Dense(50, "relu", 784, "orthogonal")); }),
              HasSubstr("unknown kernel_initializer 'orthogonal'"));
  EXPECT_THAT(error_of<std::invalid_argument>([&] { s.add(Dropout(1.0)); }), HasSubstr("rate must be in [0, 1), got 1"));
  EXPECT_THAT(error_of<std::runtime_error>([&] { s.summary_text(); }), HasSubstr("not built yet"));
  s.add(Input({28, 28}));
  EXPECT_THAT(error_of<ShapeError>([&] { s.add(Dense(10, "softmax")); }),
              HasSubstr("layer 1, Dense(10, \"softmax\"): expects one feature vector per sample, got (28, 28); add "
                        "Flatten() before it"));
  s.add(Flatten());
  s.add(Dense(10, "softmax"));
  EXPECT_THAT(error_of<std::invalid_argument>([&] { s.add(Dense(10, "relu")); }),
              HasSubstr("softmax is allowed only on the last layer"));

  Sequential<float> no_softmax;
  no_softmax.add(Dense(10, "relu", 784));
  EXPECT_THAT(error_of<std::invalid_argument>([&] { no_softmax.compile("sgd", "categorical_crossentropy"); }),
              HasSubstr("the last layer must be Dense(units, \"softmax\")"));
  Sequential<float> declared;
  declared.add(Dense(50, "relu", 784));
  EXPECT_THAT(error_of<ShapeError>([&] { declared.add(Dense(10, "softmax", 100)); }),
              HasSubstr("declares input shape (100,) but receives (50,)"));
  Sequential<float> empty;
  EXPECT_THAT(error_of<std::runtime_error>([&] { empty.net(); }), HasSubstr("input shape is unknown"));
}
