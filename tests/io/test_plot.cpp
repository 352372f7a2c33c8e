// Every plot function makes a real PNG of the requested size. Set DLFS_PLOT_DIR to keep the
// pictures for a look.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "dlfs/io/plot.hpp"
#include "io_test_util.hpp"

namespace dlfs {
namespace {

using test::TempDir;

struct PngInfo {
  bool valid = false;
  std::uint32_t width = 0, height = 0;
  std::size_t bytes = 0;
};

PngInfo png_info(const std::string& path) {
  PngInfo info;
  std::string b = test::slurp(path);
  info.bytes = b.size();
  if (b.size() < 33 || b.compare(0, 8, "\x89PNG\r\n\x1a\n", 8) != 0 || b.compare(12, 4, "IHDR") != 0) return info;
  auto be32 = [&](std::size_t at) {
    return std::uint32_t(std::uint8_t(b[at])) << 24 | std::uint32_t(std::uint8_t(b[at + 1])) << 16 |
           std::uint32_t(std::uint8_t(b[at + 2])) << 8 | std::uint32_t(std::uint8_t(b[at + 3]));
  };
  info.valid = b.compare(b.size() - 8, 4, "IEND") == 0;  // complete, not cut short
  info.width = be32(16);
  info.height = be32(20);
  return info;
}

class Plot : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!gnuplot_available()) GTEST_SKIP() << "gnuplot is not installed";
  }
  // Where pictures go: the scratch folder, or DLFS_PLOT_DIR to keep them.
  std::string out(const std::string& name) {
    const char* keep = std::getenv("DLFS_PLOT_DIR");
    return keep && *keep ? std::string(keep) + "/" + name : dir_.file(name);
  }
  void expect_png(const std::string& path, std::uint32_t w, std::uint32_t h) {
    PngInfo info = png_info(path);
    EXPECT_TRUE(info.valid) << path;
    EXPECT_EQ(info.width, w) << path;
    EXPECT_EQ(info.height, h) << path;
    EXPECT_GT(info.bytes, 2000u) << path;  // something was drawn, not a blank canvas
  }
  TempDir dir_;
};

// A curve shaped like the book's accuracy plots (train rising faster than test).
std::vector<double> accuracy_curve(int n, double rate, double top) {
  std::vector<double> y(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) y[i] = top - (top - 0.1) * std::exp(-rate * i);
  return y;
}

TEST_F(Plot, LinesWithLegendDashedSeriesAndLabels) {
  std::vector<double> epochs(20);
  for (int i = 0; i < 20; ++i) epochs[i] = i;
  PlotSpec spec;
  spec.title = "TwoLayerNet on MNIST";
  spec.xlabel = "epochs";
  spec.ylabel = "accuracy";
  spec.ymin = 0;
  spec.ymax = 1.0;
  spec.legend = "bottom right";
  spec.series = {{"train acc", epochs, accuracy_curve(20, 0.4, 0.98), "linespoints"},
                 {"test acc", epochs, accuracy_curve(20, 0.35, 0.96), "dashed"}};
  spec.width = 640;
  spec.height = 480;
  const std::string png = out("lines.png");
  plot_lines(png, spec);
  expect_png(png, 640, 480);
}

TEST_F(Plot, LogScaleSmoothedLossWithGapsAndEmptySeries) {
  std::vector<double> it(2000), loss(2000);
  for (int i = 0; i < 2000; ++i) {
    it[i] = i;
    loss[i] = 2.3 * std::exp(-i / 300.0) + 0.05 + 0.1 * std::abs(std::sin(i * 1.3));
  }
  loss[10] = NAN;  // a diverged step: skipped, not fatal
  PlotSpec spec;
  spec.title = "loss (smooth_curve)";
  spec.xlabel = "iterations";
  spec.ylabel = "loss";
  spec.logy = true;
  spec.series = {{"SGD", it, smooth_curve(loss), "lines"},
                 {"Adam", it, loss, "points", "", "x", 100},
                 {"not run", {}, {}, "lines"}};
  plot_lines(out("loss_log.png"), spec);
  expect_png(out("loss_log.png"), 800, 600);
}

TEST_F(Plot, GridOfSixteenChartsLikeTheBatchNormFigure) {
  std::vector<PlotSpec> charts;
  std::vector<double> ep(20);
  for (int i = 0; i < 20; ++i) ep[i] = i;
  for (int k = 0; k < 16; ++k) {
    PlotSpec c;
    c.title = "W:" + std::to_string(std::pow(10.0, -4 + 4.0 * k / 15)).substr(0, 6);
    c.ymin = 0;
    c.ymax = 1;
    c.legend = k == 15 ? "bottom right" : "off";
    c.series = {{"Batch Normalization", ep, accuracy_curve(20, 0.3, 0.9 - 0.02 * k), "lines"},
                {"Normal(without BatchNorm)", ep, accuracy_curve(20, 0.1, 0.5 - 0.02 * k), "dashed"}};
    charts.push_back(c);
  }
  plot_grid(out("grid.png"), charts, 4, 4, "batch norm vs none");
  expect_png(out("grid.png"), 4 * 320, 4 * 260);
}

TEST_F(Plot, ContourWithOptimiserPathsLikeTheBook) {
  auto f = [](double x, double y) { return x * x / 20.0 + y * y; };
  // SGD with lr 0.95 from (-7, 2), as in optimizer_compare_naive.py; the others just shrink.
  ContourSpec spec;
  spec.f = f;
  spec.ymin = -10;
  spec.ymax = 10;
  spec.levels = {0.5, 1, 2, 4, 7};
  spec.marks = {{0.0, 0.0}};
  spec.rows = spec.cols = 2;
  for (const char* name : {"SGD", "Momentum", "AdaGrad", "Adam"}) {
    ContourPath p{name, {}, {}};
    double x = -7, y = 2;
    for (int i = 0; i < 30; ++i) {
      p.x.push_back(x);
      p.y.push_back(y);
      x -= 0.95 * x / 10.0;
      y -= 0.95 * 2 * y;
    }
    spec.paths.push_back(p);
  }
  plot_contour_paths(out("contour.png"), spec);
  expect_png(out("contour.png"), 800, 720);
}

TEST_F(Plot, HistogramsOfActivations) {
  std::vector<std::pair<std::string, std::vector<double>>> layers;
  for (int l = 0; l < 5; ++l) {
    std::vector<double> a;
    for (int i = 0; i < 3000; ++i) a.push_back(1.0 / (1.0 + std::exp(-std::sin(i * 0.37 + l) * (5 - l))));
    layers.push_back({std::to_string(l + 1) + "-layer", a});
  }
  plot_histograms(out("hist.png"), layers, 30, 0, 1, 1, 5, "", 1500, 320);
  expect_png(out("hist.png"), 1500, 320);
}

TEST_F(Plot, DigitGridWithCaptions) {
  // Three 28x28 strokes standing in for digits (a bar, a ring, a diagonal).
  std::vector<std::vector<std::uint8_t>> imgs(3, std::vector<std::uint8_t>(28 * 28, 0));
  for (int r = 0; r < 28; ++r)
    for (int c = 0; c < 28; ++c) {
      if (c >= 12 && c <= 15 && r >= 4 && r <= 23) imgs[0][r * 28 + c] = 255;
      double d = std::hypot(r - 13.5, c - 13.5);
      if (d > 6 && d < 9) imgs[1][r * 28 + c] = 200;
      if (std::abs(r - c) < 2) imgs[2][r * 28 + c] = static_cast<std::uint8_t>(9 * r);
    }
  std::vector<const std::uint8_t*> ptrs{imgs[0].data(), imgs[1].data(), imgs[2].data()};
  save_image_grid(out("digits.png"), ptrs, 28, 28, {"true 1 / pred 7", "true 0 / pred 6", "true 4 / pred 9"}, 2,
                  {"misclassified", true, 400, 460});
  expect_png(out("digits.png"), 400, 460);
  // Default size: 112-pixel cells (4 per image pixel) plus caption and title rows.
  save_image_grid(out("digits_auto.png"), ptrs, 28, 28, {}, 3);
  PngInfo info = png_info(out("digits_auto.png"));
  EXPECT_TRUE(info.valid);
  EXPECT_EQ(info.width, 3u * 112u);
  EXPECT_EQ(info.height, 112u + 4u);
}

TEST_F(Plot, FloatFilterGridIsScaledPerFilter) {
  std::vector<std::vector<float>> filters(6, std::vector<float>(25));
  for (int k = 0; k < 6; ++k)
    for (int i = 0; i < 25; ++i) filters[k][i] = static_cast<float>(std::sin(i * (k + 1) * 0.7) * std::pow(10.0, -k));
  filters[5].assign(25, 0.25f);  // constant: mid-gray, no division by zero
  std::vector<const float*> ptrs;
  for (auto& f : filters) ptrs.push_back(f.data());
  save_float_image_grid(out("filters.png"), ptrs, 5, 5, {}, 3, {"conv1 filters", true, 300, 240});
  expect_png(out("filters.png"), 300, 240);
}

TEST_F(Plot, GnuplotErrorIsReportedAndOldPictureKept) {
  PlotSpec spec;
  spec.series = {{"a", {0, 1}, {0, 1}}};
  const std::string png = dir_.file("keep.png");
  plot_lines(png, spec);
  const std::string before = test::slurp(png);
  spec.legend = "nowhere at all";  // gnuplot rejects this key position
  try {
    plot_lines(png, spec);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("gnuplot failed with status"), std::string::npos) << e.what();
  }
  EXPECT_EQ(test::slurp(png), before);
  EXPECT_EQ(dir_.entries(), std::vector<std::string>{"keep.png"});
}

// These run with or without gnuplot.
TEST(PlotErrors, MissingGnuplotSaysHowToInstallIt) {
  TempDir dir;
  ::setenv("DLFS_GNUPLOT", "/nonexistent/gnuplot", 1);
  PlotSpec spec;
  spec.series = {{"a", {0, 1}, {0, 1}}};
  std::string msg;
  try {
    plot_lines(dir.file("x.png"), spec);
  } catch (const std::runtime_error& e) {
    msg = e.what();
  }
  EXPECT_FALSE(gnuplot_available());
  ::unsetenv("DLFS_GNUPLOT");
  EXPECT_NE(msg.find("install gnuplot (scripts/install_deps.sh)"), std::string::npos) << msg;
  EXPECT_TRUE(dir.entries().empty());  // no picture and no temporary file
}

TEST(PlotErrors, InconsistentInputIsRejectedBeforeDrawing) {
  TempDir dir;
  const std::string png = dir.file("x.png");
  PlotSpec spec;
  EXPECT_THROW(plot_lines(png, spec), std::invalid_argument);  // no series
  spec.series = {{"a", {0, 1, 2}, {0, 1}}};
  try {
    plot_lines(png, spec);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("series 'a': x has 3 values, y has 2"), std::string::npos) << e.what();
  }
  spec.series = {{"a", {0}, {0}, "dotted"}};
  EXPECT_THROW(plot_lines(png, spec), std::invalid_argument);
  spec.series = {{"a", {0}, {0}, "points", "", "Q"}};
  EXPECT_THROW(plot_lines(png, spec), std::invalid_argument);
  spec.series = {{"a", {0}, {0}}};
  spec.width = 0;
  EXPECT_THROW(plot_lines(png, spec), std::invalid_argument);
  EXPECT_THROW(plot_grid(png, {PlotSpec{}, PlotSpec{}, PlotSpec{}}, 1, 2), std::invalid_argument);
  std::uint8_t px[4] = {};
  EXPECT_THROW(save_image_grid(png, {px}, 2, 2, {"a", "b"}, 1), std::invalid_argument);
  EXPECT_THROW(save_image_grid(png, {}, 2, 2, {}, 1), std::invalid_argument);
  EXPECT_TRUE(dir.entries().empty());
}

}  // namespace
}  // namespace dlfs
