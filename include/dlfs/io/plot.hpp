// Pictures of training runs and experiments, drawn by gnuplot: dlfs writes the data and a
// gnuplot script to a private temporary folder, runs `gnuplot` (pngcairo terminal, or png if
// pngcairo is missing) and renames the finished PNG into place, so a picture is never half-written.
// Every function throws std::runtime_error("... install gnuplot (scripts/install_deps.sh)") when
// gnuplot is missing, and std::invalid_argument for inconsistent input. The environment variable
// DLFS_GNUPLOT may name another gnuplot binary.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dlfs/io/smooth_curve.hpp"

namespace dlfs {

// True if `gnuplot --version` runs.
bool gnuplot_available();

struct Series {
  Series() = default;
  Series(std::string label_, std::vector<double> x_, std::vector<double> y_, std::string style_ = "lines",
         std::string color_ = "", std::string marker_ = "o", int mark_every_ = 1)
      : label(std::move(label_)), x(std::move(x_)), y(std::move(y_)), style(std::move(style_)),
        color(std::move(color_)), marker(std::move(marker_)), mark_every(mark_every_) {}

  std::string label;             // legend entry ("" = none)
  std::vector<double> x, y;      // same length; NaN/inf points are skipped
  std::string style = "lines";   // "lines" | "dashed" | "points" | "linespoints"
  std::string color;             // "" = matplotlib's default cycle (#1f77b4, #ff7f0e, ...); else a gnuplot colour
  std::string marker = "o";      // for points/linespoints: "o" "x" "+" "s" "D" "^" "v" "*"
  int mark_every = 1;            // draw every n-th marker (matplotlib's markevery)
};

struct PlotSpec {
  std::string title, xlabel, ylabel;
  std::optional<double> xmin, xmax, ymin, ymax;  // unset = autoscale
  bool logx = false, logy = false;
  std::string legend = "top right";  // gnuplot key position ("bottom right", ...), or "off"
  std::vector<Series> series;
  int width = 800, height = 600;  // pixels (plot_lines only; plot_grid sizes the whole picture)
};

// One chart with several series (e.g. train acc solid + test acc dashed).
void plot_lines(const std::string& png_path, const PlotSpec& spec);

// Charts in a rows x cols grid under one title (e.g. the book's 4x4 batch-norm comparison).
// width/height 0 = 320 x 260 pixels per chart.
void plot_grid(const std::string& png_path, const std::vector<PlotSpec>& charts, int rows, int cols,
               const std::string& title = "", int width = 0, int height = 0);

// The contour lines of f with one optimiser trajectory per chart (the book's
// optimizer_compare_naive.py: f(x, y) = x^2/20 + y^2, SGD/Momentum/AdaGrad/Adam).
struct ContourPath {
  std::string label;         // chart title, e.g. "SGD"
  std::vector<double> x, y;  // the visited points, in order
};
struct ContourSpec {
  std::function<double(double, double)> f;
  double xmin = -10, xmax = 10, ymin = -10, ymax = 10;  // plotted ranges
  int samples = 101;                   // grid points per axis where f is evaluated
  std::vector<double> levels;          // contour levels; empty = 10 chosen by gnuplot
  std::vector<std::array<double, 2>> marks;  // drawn as '+' (e.g. the minimum at (0, 0))
  std::vector<ContourPath> paths;      // one chart each
  int rows = 1, cols = 1;
  std::string title;
  int width = 0, height = 0;           // 0 = 400 x 360 pixels per chart
};
void plot_contour_paths(const std::string& png_path, const ContourSpec& spec);

// np.histogram(values, bins, range=(lo, hi))[0]: equal-width bins, the last one closed on the
// right, values outside [lo, hi] (and NaN) not counted.
std::vector<std::size_t> histogram_counts(const std::vector<double>& values, int bins, double lo, double hi);

// One histogram chart per (title, values) in a rows x cols grid (the book's
// weight_init_activation_histogram.py: 5 layers, 30 bins over (0, 1)).
// width/height 0 = 300 x 300 pixels per chart.
void plot_histograms(const std::string& png_path, const std::vector<std::pair<std::string, std::vector<double>>>& data,
                     int bins, double lo, double hi, int rows, int cols, const std::string& title = "",
                     int width = 0, int height = 0);

struct ImageGridStyle {
  std::string title;
  bool gray_r = true;       // matplotlib's gray_r as in the book: 0 white, max black
  int width = 0, height = 0;  // 0 = about 4 pixels per image pixel (at least 90 per cell) + captions
};

// h x w grayscale images (row-major uint8, 0..255) in a grid `cols` wide, each with its caption
// above it (e.g. "true 4 / pred 9" for misclassified digits). captions may be empty.
void save_image_grid(const std::string& png_path, const std::vector<const std::uint8_t*>& images, int h, int w,
                     const std::vector<std::string>& captions, int cols, const ImageGridStyle& style = {});

// Same for float images (conv filters), each scaled to its own [min, max] like plt.imshow.
void save_float_image_grid(const std::string& png_path, const std::vector<const float*>& images, int h, int w,
                           const std::vector<std::string>& captions, int cols, const ImageGridStyle& style = {});

// A confusion matrix (counts[true * classes + predicted]) as a heat map with the count in each
// cell: rows are true labels (0 at the top), columns predicted labels. At most 100 classes.
void plot_confusion_matrix(const std::string& png_path, const std::vector<std::size_t>& counts, std::size_t classes,
                           const std::string& title = "");

}  // namespace dlfs
