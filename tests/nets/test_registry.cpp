#include <gtest/gtest.h>

#include <algorithm>

#include "dlfs/nets/multi_layer_net.hpp"
#include "dlfs/nets/registry.hpp"
#include "dlfs/nets/two_layer_net.hpp"

using namespace dlfs;
using json = nlohmann::json;

TEST(Registry, NamesIncludeTheBooksNets) {
  auto names = net_names();
  for (const char* n : {"two-layer", "two-layer-sigmoid", "multi-layer", "multi-layer-extend"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
}

TEST(Registry, TwoLayerDefaultsAre784_50_10) {
  auto net = make_net<float>({{"net", "two-layer"}}, 0);
  EXPECT_EQ(net->name(), "two-layer");
  EXPECT_EQ(net->param("W1").value.shape(), (Shape{784, 50}));
  EXPECT_EQ(net->param("W2").value.shape(), (Shape{50, 10}));
  EXPECT_EQ(net->config()["weight_init_std"], 0.01);
  EXPECT_NE(dynamic_cast<TwoLayerNet<float>*>(net.get()), nullptr);
}

TEST(Registry, ConfigRebuildsTheSameNet) {
  json c = {{"net", "multi-layer"}, {"input_size", 12}, {"hidden_size_list", {7, 5}}, {"output_size", 4},
            {"activation", "sigmoid"}, {"weight_init_std", 0.05}, {"weight_decay_lambda", 0.01}};
  auto a = make_net<double>(c, 11);
  auto b = make_net<double>(a->config(), 11);
  EXPECT_EQ(b->config(), a->config());
  ASSERT_EQ(a->params().size(), b->params().size());
  for (std::size_t k = 0; k < a->params().size(); ++k) EXPECT_EQ(a->params()[k]->value, b->params()[k]->value);
  EXPECT_EQ(a->param("W1").value.shape(), (Shape{12, 7}));
  EXPECT_DOUBLE_EQ(dynamic_cast<MultiLayerNet<double>&>(*a).weight_decay_lambda(), 0.01);
}

TEST(Registry, ExtendWithBatchNormAndDropout) {
  auto net = make_net<float>({{"net", "multi-layer-extend"},
                              {"input_size", 6},
                              {"hidden_size_list", {4}},
                              {"output_size", 2},
                              {"use_batchnorm", true},
                              {"use_dropout", true},
                              {"dropout_ration", 0.2},
                              {"weight_init_std", "he"}},
                             1);
  EXPECT_EQ(net->name(), "multi-layer-extend");
  EXPECT_NO_THROW(net->param("gamma1"));
  EXPECT_EQ(net->buffers().size(), 2u);
  EXPECT_EQ(net->config()["dropout_ration"], 0.2);
}

TEST(Registry, TwoLayerSigmoidIsTheChapter4Net) {
  auto net = make_net<double>({{"net", "two-layer-sigmoid"}, {"input_size", 5}, {"hidden_size", 3}, {"output_size", 2}}, 0);
  EXPECT_EQ(net->name(), "two-layer-sigmoid");
  EXPECT_EQ(net->param("W1").value.shape(), (Shape{5, 3}));
}

TEST(Registry, UnknownNetListsTheKnownOnes) {
  try {
    make_net<float>({{"net", "three-layer"}}, 0);
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    std::string m = e.what();
    EXPECT_EQ(m.rfind("unknown net 'three-layer' (known: two-layer, two-layer-sigmoid, multi-layer", 0), 0u) << m;
  }
  EXPECT_THROW(make_net<float>(json::object(), 0), std::invalid_argument);
  EXPECT_THROW(make_net<float>(json::array(), 0), std::invalid_argument);
}

TEST(Registry, BadKeysAndValuesAreNamed) {
  try {
    make_net<float>({{"net", "two-layer"}, {"hiden_size", 10}}, 0);
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "net two-layer: unknown config key 'hiden_size' (accepted: hidden_size, input_size, output_size, "
                 "weight_init_std)");
  }
  try {
    make_net<float>({{"net", "two-layer"}, {"hidden_size", -3}}, 0);
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "net two-layer: 'hidden_size' must be a positive whole number, got -3");
  }
  EXPECT_THROW(make_net<float>({{"net", "two-layer"}, {"hidden_size", 2.5}}, 0), std::invalid_argument);
  EXPECT_THROW(make_net<float>({{"net", "two-layer"}, {"weight_init_std", "he"}}, 0), std::invalid_argument);
  EXPECT_THROW(make_net<float>({{"net", "multi-layer"}, {"hidden_size_list", 100}}, 0), std::invalid_argument);
  EXPECT_THROW(make_net<float>({{"net", "multi-layer"}, {"use_batchnorm", "yes"}}, 0), std::invalid_argument);
  EXPECT_THROW(make_net<float>({{"net", "multi-layer"}, {"activation", "tanh"}}, 0), std::invalid_argument);
}

// A hostile or mistyped size must fail with a message, not try to allocate terabytes.
TEST(Registry, HugeSizesAreRejectedBeforeAllocating) {
  try {
    make_net<float>({{"net", "two-layer"}, {"input_size", 1000000000}, {"hidden_size", 1000000}}, 0);
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("two-layer W1: shape (1000000000, 1000000) is too large"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(make_net<float>({{"net", "multi-layer"}, {"hidden_size_list", {1u << 31, 1u << 31}}}, 0),
               std::invalid_argument);
}
