// TwoLayerNetCh4's incremental numerical_gradient against the book's loop (Net::numerical_gradient,
// called non-virtually) and against backprop.
#include <gtest/gtest.h>

#include <cmath>

#include "dlfs/linalg.hpp"
#include "dlfs/nets/two_layer_net_ch4.hpp"
#include "dlfs/rng.hpp"

using namespace dlfs;

namespace {

// Pixel-like rows: about 60% zeros (so the skipped rows matter), the rest in (0, 1].
template <class T>
void batch(std::size_t n, std::size_t d, std::size_t classes, std::uint64_t seed, Tensor<T>& x, Tensor<T>& t_idx,
           Tensor<T>& t_hot) {
  Rng rng(seed);
  x = Tensor<T>({n, d});
  t_idx = Tensor<T>({n});
  t_hot = Tensor<T>({n, classes});
  for (auto& v : x) v = rng.uniform() < 0.6 ? T(0) : T(1 - rng.uniform());
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t k = rng.randint(classes);
    t_idx[i] = T(k);
    t_hot(i, k) = T(1);
  }
}

std::vector<Tensor<double>> grads(Net<double>& net) {
  std::vector<Tensor<double>> g;
  for (auto* p : net.params()) g.push_back(p->grad);
  return g;
}

double max_abs(const std::vector<Tensor<double>>& g) {
  double m = 0;
  for (const auto& t : g)
    for (double v : t) m = std::max(m, std::abs(v));
  return m;
}

}  // namespace

// The same central differences as the book's loop. The loop's own rounding noise is about
// eps * loss / h ~ 1e-12 (its two losses are full sums that differ in the 4th-5th digit), so the
// two agree to ~1e-11 absolute; the gradients themselves are ~1e-2.
TEST(TwoLayerNetCh4NumGrad, EqualsTheBooksLoopInDouble) {
  for (bool hot : {false, true}) {
    TwoLayerNetCh4<double> net(30, 7, 5, 0.5, 3);
    Tensor<double> x, ti, th;
    batch(12, 30, 5, 4, x, ti, th);
    const Tensor<double>& t = hot ? th : ti;
    const double loss_book = net.Net<double>::numerical_gradient(x, t);  // the book's loop
    auto book = grads(net);
    const double loss_fast = net.numerical_gradient(x, t);
    auto fast = grads(net);
    EXPECT_EQ(loss_fast, loss_book);
    const double scale = max_abs(book);
    EXPECT_GT(scale, 1e-3);
    for (std::size_t k = 0; k < book.size(); ++k)
      for (std::size_t i = 0; i < book[k].size(); ++i)
        EXPECT_NEAR(fast[k][i], book[k][i], 1e-10 * scale) << net.params()[k]->name << "[" << i << "] hot=" << hot;
    // Columns of x that are zero in every row give exactly 0, as in the book.
  }
}

TEST(TwoLayerNetCh4NumGrad, AllZeroInputColumnGivesExactZeros) {
  TwoLayerNetCh4<double> net(6, 3, 4, 0.5, 1);
  Tensor<double> x, ti, th;
  batch(5, 6, 4, 2, x, ti, th);
  for (std::size_t n = 0; n < 5; ++n) x(n, 2) = 0;
  net.numerical_gradient(x, ti);
  for (std::size_t j = 0; j < 3; ++j) EXPECT_EQ(net.param("W1").grad(2, j), 0.0);
  net.Net<double>::numerical_gradient(x, ti);
  for (std::size_t j = 0; j < 3; ++j) EXPECT_EQ(net.param("W1").grad(2, j), 0.0);
}

// Agrees with backprop as in the gradient-check tests (relative to the largest gradient): central
// differences carry an O(h^2) truncation error, here up to ~1.5e-6 of the largest gradient.
TEST(TwoLayerNetCh4NumGrad, AgreesWithBackprop) {
  TwoLayerNetCh4<double> net(40, 10, 10, 0.3, 5);
  Tensor<double> x, ti, th;
  batch(20, 40, 10, 6, x, ti, th);
  net.numerical_gradient(x, ti);
  auto num = grads(net);
  net.gradient(x, ti);
  auto back = grads(net);
  const double scale = max_abs(back);
  for (std::size_t k = 0; k < num.size(); ++k)
    for (std::size_t i = 0; i < num[k].size(); ++i)
      EXPECT_NEAR(num[k][i], back[k][i], 1e-5 * scale) << net.params()[k]->name << "[" << i << "]";
}

// Parameters are restored bit for bit, and the caches describe the unperturbed net afterwards.
TEST(TwoLayerNetCh4NumGrad, LeavesParametersAndLossUnchanged) {
  TwoLayerNetCh4<double> net(20, 6, 3, 0.2, 7);
  Tensor<double> x, ti, th;
  batch(8, 20, 3, 8, x, ti, th);
  std::vector<Tensor<double>> before;
  for (auto* p : net.params()) before.push_back(p->value);
  const double l = net.numerical_gradient(x, ti);
  for (std::size_t k = 0; k < before.size(); ++k) EXPECT_EQ(net.params()[k]->value, before[k]);
  EXPECT_EQ(l, net.loss(x, ti));
}

// Each element is computed by the same code on whichever thread: identical bits for 1 and 2.
TEST(TwoLayerNetCh4NumGrad, SameBitsWithOneOrTwoThreads) {
  const int saved = num_threads();
  TwoLayerNetCh4<float> net(50, 8, 10, 0.1, 9);
  Tensor<float> x, ti, th;
  batch(16, 50, 10, 10, x, ti, th);
  set_num_threads(1);
  net.numerical_gradient(x, ti);
  std::vector<Tensor<float>> one;
  for (auto* p : net.params()) one.push_back(p->grad);
  set_num_threads(2);
  net.numerical_gradient(x, ti);
  for (std::size_t k = 0; k < one.size(); ++k) EXPECT_EQ(net.params()[k]->grad, one[k]);
  set_num_threads(saved);
}

// float works as the book's loop would in float32: a hidden unit moves by ~1e-5 for h = 1e-4, which
// float resolves to ~1e-3 relative, so float and double agree to about that.
TEST(TwoLayerNetCh4NumGrad, FloatIsCloseToDouble) {
  TwoLayerNetCh4<double> nd(40, 10, 10, 0.3, 11);
  TwoLayerNetCh4<float> nf(40, 10, 10, 0.3, 11);
  Tensor<double> x, ti, th;
  batch(20, 40, 10, 12, x, ti, th);
  nd.numerical_gradient(x, ti);
  nf.numerical_gradient(x.cast<float>(), ti.cast<float>());
  auto d = grads(nd);
  const double scale = max_abs(d);
  for (std::size_t k = 0; k < d.size(); ++k)
    for (std::size_t i = 0; i < d[k].size(); ++i)
      EXPECT_NEAR(nf.params()[k]->grad[i], d[k][i], 1e-2 * scale) << nd.params()[k]->name << "[" << i << "]";
}
