// make_optimizer: selection by name, hyper-parameter validation, and the book's comparison of
// optimisers on f(x, y) = x^2/20 + y^2 (optimizer_compare_naive.py, figure 6-8).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "dlfs/optim/optimizers.hpp"

using namespace dlfs;
using testing::HasSubstr;

TEST(MakeOptimizer, SelectsByNameCaseInsensitively) {
  const std::pair<const char*, const char*> cases[] = {
      {"sgd", "sgd"},         {"SGD", "sgd"},         {"Momentum", "momentum"}, {"nesterov", "nesterov"},
      {"AdaGrad", "adagrad"}, {"RMSprop", "rmsprop"}, {"ADAM", "adam"}};
  for (auto [given, expected] : cases) {
    auto f = make_optimizer<float>({.name = given});
    auto d = make_optimizer<double>({.name = given});
    EXPECT_EQ(f->name(), expected);
    EXPECT_EQ(d->name(), expected);
  }
  EXPECT_EQ(optimizer_names().size(), 6u);
}

TEST(MakeOptimizer, PassesHyperParameters) {
  auto opt = make_optimizer<double>({.name = "momentum", .lr = 0.2, .momentum = 0.5});
  auto* m = dynamic_cast<Momentum<double>*>(opt.get());
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->lr, 0.2);
  EXPECT_EQ(m->momentum, 0.5);
  auto adam = make_optimizer<double>({.name = "adam", .lr = 0.3, .beta1 = 0.8, .beta2 = 0.99});
  auto* a = dynamic_cast<Adam<double>*>(adam.get());
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->lr, 0.3);
  EXPECT_EQ(a->beta1, 0.8);
  EXPECT_EQ(a->beta2, 0.99);
  auto rms = make_optimizer<double>({.name = "rmsprop", .decay_rate = 0.9});
  EXPECT_EQ(dynamic_cast<RMSprop<double>*>(rms.get())->decay_rate, 0.9);
}

TEST(MakeOptimizer, UnknownNameListsTheAcceptedOnes) {
  try {
    make_optimizer<float>({.name = "adamw"});
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("'adamw'"));
    EXPECT_THAT(e.what(), HasSubstr("sgd, momentum, nesterov, adagrad, rmsprop, adam"));
  }
}

TEST(MakeOptimizer, RejectsBadLearningRates) {
  const double bad[] = {0.0, -0.1, std::numeric_limits<double>::infinity(), std::nan("")};
  for (const auto& name : optimizer_names())
    for (double lr : bad) {
      try {
        make_optimizer<float>({.name = name, .lr = lr});
        ADD_FAILURE() << name << " accepted lr " << lr;
      } catch (const std::invalid_argument& e) {
        EXPECT_THAT(e.what(), HasSubstr("lr must be finite and > 0"));
      }
    }
  try {
    make_optimizer<float>({.name = "adam", .lr = -0.5});
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("got -0.5"));
  }
}

TEST(MakeOptimizer, RejectsHyperParametersOutsideUnitInterval) {
  auto expect_bad = [](OptimizerSpec s, const char* what, const char* value) {
    try {
      make_optimizer<double>(s);
      ADD_FAILURE() << s.name << " accepted bad " << what;
    } catch (const std::invalid_argument& e) {
      EXPECT_THAT(e.what(), HasSubstr(std::string(what) + " must be in [0, 1), got " + value));
    }
  };
  expect_bad({.name = "momentum", .momentum = 1.0}, "momentum", "1");
  expect_bad({.name = "nesterov", .momentum = -0.1}, "momentum", "-0.1");
  expect_bad({.name = "rmsprop", .decay_rate = 1.5}, "decay_rate", "1.5");
  expect_bad({.name = "adam", .beta1 = 1.0}, "beta1", "1");
  expect_bad({.name = "adam", .beta2 = std::nan("")}, "beta2", "nan");
  // Hyper-parameters an optimiser does not use are not its business.
  EXPECT_NO_THROW(make_optimizer<double>({.name = "sgd", .momentum = 7.0}));
  // 0 is allowed: momentum 0 is plain SGD.
  EXPECT_NO_THROW(make_optimizer<double>({.name = "momentum", .momentum = 0.0}));
}

// ---- the book's comparison: f(x, y) = x^2/20 + y^2 from (-7, 2), 30 steps ----

namespace {

struct Point {
  double x, y;
};

Point descend(Optimizer<double>& opt) {
  Param<double> x("x", Tensor<double>::from({-7.0}));
  Param<double> y("y", Tensor<double>::from({2.0}));
  for (int i = 0; i < 30; ++i) {
    x.grad[0] = x.value[0] / 10.0;  // df/dx
    y.grad[0] = 2.0 * y.value[0];   // df/dy
    opt.update({&x, &y});
  }
  return {x.value[0], y.value[0]};
}

}  // namespace

// The expected points are what the book's own common/optimizer.py classes reach when run as in
// ch06/optimizer_compare_naive.py (transcribed to NumPy and run once); f starts at 49/20 + 4 = 6.45.
TEST(BookComparison, SGD) {
  SGD<double> opt(0.95);
  auto p = descend(opt);
  // Closed form: x *= (1 - 0.95/10), y *= (1 - 2*0.95) each step.
  EXPECT_NEAR(p.x, -7.0 * std::pow(0.905, 30), 1e-12);
  EXPECT_NEAR(p.y, 2.0 * std::pow(-0.9, 30), 1e-12);
  EXPECT_NEAR(p.x, -0.3503929957523197, 1e-12);
  EXPECT_NEAR(p.y, 0.0847823165504322, 1e-12);
}

TEST(BookComparison, Momentum) {
  Momentum<double> opt(0.1);
  auto p = descend(opt);
  EXPECT_NEAR(p.x, 0.896413858493733, 1e-12);
  EXPECT_NEAR(p.y, 0.08808560171506971, 1e-12);
}

TEST(BookComparison, AdaGrad) {
  AdaGrad<double> opt(1.5);
  auto p = descend(opt);
  EXPECT_NEAR(p.x, -0.12016232231416045, 1e-12);
  EXPECT_NEAR(p.y, 0.0, 1e-12);
}

TEST(BookComparison, Adam) {
  Adam<double> opt(0.3);
  auto p = descend(opt);
  EXPECT_NEAR(p.x, 0.13600685239498186, 1e-12);
  EXPECT_NEAR(p.y, 0.31824537553721943, 1e-12);
}

TEST(BookComparison, AllEndNearTheMinimum) {
  // Every optimiser of figure 6-8 (plus the two the book adds in common/optimizer.py, with the
  // same lr as Momentum and AdaGrad) ends within 1 of the minimum in x (from 7 away) and
  // within 0.35 in y (from 2 away), and at f < 0.15 (from 6.45). Measured worst cases:
  // Momentum |x| = 0.90, Adam |y| = 0.32, f = 0.10 (Adam).
  std::vector<std::unique_ptr<Optimizer<double>>> opts;
  opts.push_back(std::make_unique<SGD<double>>(0.95));
  opts.push_back(std::make_unique<Momentum<double>>(0.1));
  opts.push_back(std::make_unique<AdaGrad<double>>(1.5));
  opts.push_back(std::make_unique<Adam<double>>(0.3));
  opts.push_back(std::make_unique<Nesterov<double>>(0.1));
  opts.push_back(std::make_unique<RMSprop<double>>(0.1));
  for (auto& opt : opts) {
    auto p = descend(*opt);
    EXPECT_LT(std::abs(p.x), 1.0) << opt->name();
    EXPECT_LT(std::abs(p.y), 0.35) << opt->name();
    EXPECT_LT(p.x * p.x / 20 + p.y * p.y, 0.15) << opt->name();
  }
}
