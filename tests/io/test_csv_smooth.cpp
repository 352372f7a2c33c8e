// write_csv content, smooth_curve against the book's NumPy code, histogram_counts against np.histogram.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "dlfs/io/csv.hpp"
#include "dlfs/io/plot.hpp"
#include "io_test_util.hpp"

namespace dlfs {
namespace {

using test::TempDir;

TEST(Csv, ColumnsOfDifferentLengthsLeaveEmptyCells) {
  TempDir dir;
  const std::string path = dir.file("history.csv");
  write_csv(path, {"iteration", "loss", "test acc"},
            {{0, 1, 2}, {2.302585093, 0.1f, 1e-10}, {0.1135}});
  // 0.1f printed with 9 significant digits shows it is the float nearest 0.1.
  EXPECT_EQ(test::slurp(path),
            "iteration,loss,test acc\n"
            "0,2.30258509,0.1135\n"
            "1,0.100000001,\n"
            "2,1e-10,\n");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"history.csv"});
}

TEST(Csv, QuotesAwkwardHeadersAndWritesNonFiniteValues) {
  TempDir dir;
  const std::string path = dir.file("t.csv");
  write_csv(path, {"a,b", "say \"hi\""}, {{NAN, -INFINITY}, {}});
  EXPECT_EQ(test::slurp(path), "\"a,b\",\"say \"\"hi\"\"\"\nnan,\n-inf,\n");
  write_csv(path, {}, {});
  EXPECT_EQ(test::slurp(path), "\n");
  EXPECT_THROW(write_csv(path, {"x"}, {}), std::invalid_argument);
}

TEST(SmoothCurve, KaiserWindowMatchesNumPy) {
  // np.kaiser(11, 2)
  const double expected[11] = {0.4386762798370488, 0.6113943543616491, 0.7676749968275236, 0.8921614338542879,
                               0.9723298008693713, 1.0,                0.9723298008693713, 0.8921614338542879,
                               0.7676749968275236, 0.6113943543616491, 0.4386762798370488};
  auto w = kaiser_window(11, 2);
  ASSERT_EQ(w.size(), 11u);
  for (int i = 0; i < 11; ++i) EXPECT_NEAR(w[i], expected[i], 1e-15) << i;
}

TEST(SmoothCurve, MatchesTheBooksFunctionOnALossCurve) {
  // smooth_curve(np.array([2.3, 1.9, 2.1, 1.2, 1.5, 0.9, 1.0, 0.7, 0.8, 0.5, 0.6, 0.4, 0.45]))
  // computed with the book's common/util.py and NumPy 1.24.
  const std::vector<double> x{2.3, 1.9, 2.1, 1.2, 1.5, 0.9, 1.0, 0.7, 0.8, 0.5, 0.6, 0.4, 0.45};
  const std::vector<double> expected{1.6986306707094851, 1.684290112365343,  1.599949223616053, 1.505600199674757,
                                     1.345176510780687,  1.1945397522935692, 1.0248662318086157, 0.8856734877369846,
                                     0.7541737360075554, 0.671247891279904,  0.5962229705537775, 0.5550303436556726,
                                     0.5339142048723371};
  auto y = smooth_curve(x);
  ASSERT_EQ(y.size(), expected.size());
  for (std::size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], expected[i], 1e-14) << i;
}

TEST(SmoothCurve, ShortInputsBehaveLikeTheBooksSlicing) {
  // The book's slicing gives no output below 8 points and 3, 6, 9 points for 8, 9, 10 (values
  // hard-coded from NumPy: smooth_curve(np.arange(n, dtype=float))).
  for (int n : {1, 2, 5, 7}) {
    std::vector<double> x(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) x[i] = i;
    EXPECT_TRUE(smooth_curve(x).empty()) << n;
  }
  auto y8 = smooth_curve({0, 1, 2, 3, 4, 5, 6, 7});
  ASSERT_EQ(y8.size(), 3u);
  EXPECT_NEAR(y8[0], 3.3035238832388836, 1e-13);
  EXPECT_NEAR(y8[2], 4.426713549109571, 1e-13);
  std::vector<double> nine{0, 1, 2, 3, 4, 5, 6, 7, 8};
  auto y9 = smooth_curve(nine);
  const std::vector<double> e9{2.790603844593367, 3.3559690571874894, 4.052445173948605,
                               4.769570297457649, 5.4267135491095715, 5.8854179648032865};
  ASSERT_EQ(y9.size(), e9.size());
  for (std::size_t i = 0; i < e9.size(); ++i) EXPECT_NEAR(y9[i], e9[i], 1e-13) << i;
  std::vector<double> eleven{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  auto y11 = smooth_curve(eleven);
  ASSERT_EQ(y11.size(), 11u);
  EXPECT_NEAR(y11[0], 2.319006978088358, 1e-13);
  EXPECT_NEAR(y11[5], 5.0, 1e-13);  // symmetric window on a straight line keeps the middle point
  EXPECT_NEAR(y11[10], 8.12121639805579, 1e-13);
  EXPECT_TRUE(smooth_curve({}).empty());
}

TEST(SmoothCurve, AgreesWithNumPyOnLongNoisyInput) {
  if (!test::python_has_numpy()) GTEST_SKIP() << "/usr/bin/python3 has no numpy";
  std::vector<double> x(500);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 2.3 * std::exp(-0.01 * i) + 0.3 * std::sin(1.7 * i * i);
  TempDir dir;
  std::ostringstream script;
  script.precision(17);
  script << "import numpy as np\nx = np.array([";
  for (double v : x) script << v << ",";
  script << "])\nw = np.kaiser(11, 2)\ns = np.r_[x[10:0:-1], x, x[-1:-11:-1]]\n"
            "y = np.convolve(w/w.sum(), s, mode='valid')[5:-5]\n"
            "print(len(y)); print('\\n'.join(repr(float(v)) for v in y))\n";
  std::string out;
  ASSERT_EQ(test::run_python(dir, script.str(), &out), 0) << out;
  std::istringstream in(out);
  std::size_t n = 0;
  in >> n;
  auto y = smooth_curve(x);
  ASSERT_EQ(n, 500u);
  ASSERT_EQ(y.size(), n);
  for (std::size_t i = 0; i < n; ++i) {
    double v = 0;
    in >> v;
    EXPECT_NEAR(y[i], v, 1e-13) << i;
  }
}

TEST(Histogram, CountsLikeNumPyIncludingEdges) {
  // np.histogram([0.0, 0.1, 0.2, 0.3, 0.7, 1.0, 1.0000001, -0.1, 0.3, 0.6], 10, range=(0, 1))[0]
  // -> [1 1 3 0 0 1 1 0 0 1]: 0.3 falls below the edge 0.30000000000000004, 1.0 is in the last
  // (closed) bin, values outside the range are dropped.
  auto c = histogram_counts({0.0, 0.1, 0.2, 0.3, 0.7, 1.0, 1.0000001, -0.1, 0.3, 0.6, NAN}, 10, 0, 1);
  EXPECT_EQ(c, (std::vector<std::size_t>{1, 1, 3, 0, 0, 1, 1, 0, 0, 1}));
  EXPECT_THROW(histogram_counts({1}, 0, 0, 1), std::invalid_argument);
  EXPECT_THROW(histogram_counts({1}, 10, 1, 1), std::invalid_argument);
}

}  // namespace
}  // namespace dlfs
