// Line charts, chart grids, contour + trajectory charts and histograms through gnuplot.
#include <cmath>
#include <map>
#include <stdexcept>

#include "dlfs/io/plot.hpp"
#include "gnuplot.hpp"

namespace dlfs {

using gnuplot_detail::num;
using gnuplot_detail::quote;

namespace {

// matplotlib's default colour cycle, so pictures look like the book's figures.
const char* const kCycle[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                              "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

int point_type(const std::string& marker, const std::string& where) {
  static const std::map<std::string, int> types{{"o", 7}, {"x", 2}, {"+", 1}, {"s", 5},
                                                {"D", 13}, {"^", 9}, {"v", 11}, {"*", 3}};
  auto it = types.find(marker);
  if (it == types.end())
    throw std::invalid_argument(where + ": unknown marker '" + marker + "' (expected o x + s D ^ v *)");
  return it->second;
}

std::string range(const std::optional<double>& lo, const std::optional<double>& hi) {
  std::string out = "[";
  out += lo ? num(*lo) : "*";
  out += ":";
  out += hi ? num(*hi) : "*";
  return out + "]";
}

// Settings for one chart. Everything is set explicitly (never inherited) because inside a
// multiplot each chart would otherwise keep the previous chart's settings.
std::string axes(const PlotSpec& s) {
  std::string g;
  g += "set title " + quote(s.title) + "\n";
  g += "set xlabel " + quote(s.xlabel) + "\n";
  g += "set ylabel " + quote(s.ylabel) + "\n";
  g += "set xrange " + range(s.xmin, s.xmax) + "\n";
  g += "set yrange " + range(s.ymin, s.ymax) + "\n";
  g += "unset logscale\n";
  if (s.logx) g += "set logscale x\n";
  if (s.logy) g += "set logscale y\n";
  g += "set grid\n";
  if (s.legend == "off") g += "unset key\n";
  else g += "set key " + s.legend + " opaque box\n";
  return g;
}

// Data blocks and the plot command for one chart; `id` keeps block names unique in a grid.
std::string chart(const PlotSpec& s, const std::string& where, int id) {
  if (s.series.empty()) throw std::invalid_argument(where + ": a chart needs at least one series");
  if (s.legend.find_first_of("\n;'\"") != std::string::npos)
    throw std::invalid_argument(where + ": bad legend position '" + s.legend + "'");
  std::string blocks, cmd = "plot ";
  for (std::size_t i = 0; i < s.series.size(); ++i) {
    const Series& sr = s.series[i];
    const std::string w = where + " series '" + sr.label + "'";
    if (sr.x.size() != sr.y.size())
      throw std::invalid_argument(w + ": x has " + std::to_string(sr.x.size()) + " values, y has " +
                                  std::to_string(sr.y.size()));
    if (sr.mark_every < 1) throw std::invalid_argument(w + ": mark_every must be at least 1");
    const std::string name = "$s" + std::to_string(id) + "_" + std::to_string(i);
    // An empty block would make gnuplot stop with "no data"; one undefined point draws nothing.
    blocks += sr.x.empty() ? name + " << EOD\nNaN NaN\nEOD\n" : gnuplot_detail::xy_block(name, sr.x, sr.y);
    const std::string color = sr.color.empty() ? kCycle[i % 10] : sr.color;
    const std::string pt = " pt " + std::to_string(point_type(sr.marker, w)) + " ps 0.8";
    std::string style;
    if (sr.style == "lines") style = "with lines lw 2";
    else if (sr.style == "dashed") style = "with lines lw 2 dt 2";
    else if (sr.style == "points") style = "every " + std::to_string(sr.mark_every) + " with points" + pt;
    else if (sr.style == "linespoints") style = "with linespoints lw 2 pi " + std::to_string(sr.mark_every) + pt;
    else
      throw std::invalid_argument(w + ": unknown style '" + sr.style + "' (expected lines, dashed, points, linespoints)");
    if (i) cmd += ", \\\n     ";
    cmd += name + " using 1:2 " + style + " lc rgb " + quote(color) +
           (sr.label.empty() || sr.x.empty() ? std::string(" notitle") : " title " + quote(sr.label));
  }
  return blocks + axes(s) + cmd + "\n";
}

void check_grid(const std::string& where, std::size_t n, int rows, int cols) {
  if (rows < 1 || cols < 1 || static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols) < n)
    throw std::invalid_argument(where + ": " + std::to_string(n) + " charts do not fit a " + std::to_string(rows) +
                                "x" + std::to_string(cols) + " grid");
  if (n == 0) throw std::invalid_argument(where + ": nothing to draw");
}

std::string multiplot_open(int rows, int cols, const std::string& title) {
  return "set multiplot layout " + std::to_string(rows) + "," + std::to_string(cols) +
         (title.empty() ? std::string() : " title " + quote(title) + " font ',13'") + "\n";
}

}  // namespace

void plot_lines(const std::string& png_path, const PlotSpec& spec) {
  gnuplot_detail::render_png(png_path, spec.width, spec.height, chart(spec, "plot_lines " + png_path, 0));
}

void plot_grid(const std::string& png_path, const std::vector<PlotSpec>& charts, int rows, int cols,
               const std::string& title, int width, int height) {
  const std::string where = "plot_grid " + png_path;
  check_grid(where, charts.size(), rows, cols);
  std::string body = multiplot_open(rows, cols, title);
  for (std::size_t i = 0; i < charts.size(); ++i)
    body += chart(charts[i], where + " chart " + std::to_string(i), static_cast<int>(i));
  body += "unset multiplot\n";
  gnuplot_detail::render_png(png_path, width ? width : 320 * cols, height ? height : 260 * rows, body);
}

void plot_contour_paths(const std::string& png_path, const ContourSpec& spec) {
  const std::string where = "plot_contour_paths " + png_path;
  if (!spec.f) throw std::invalid_argument(where + ": no function to draw");
  if (spec.samples < 2 || spec.samples > 2000)
    throw std::invalid_argument(where + ": samples must be in 2..2000, got " + std::to_string(spec.samples));
  if (!(spec.xmin < spec.xmax) || !(spec.ymin < spec.ymax))
    throw std::invalid_argument(where + ": empty x or y range");
  check_grid(where, spec.paths.size(), spec.rows, spec.cols);

  // f on a grid, one block per x (blank-line separated) as splot expects, then gnuplot traces
  // the contour lines once into $contours; every chart reuses them.
  std::string body = "$grid << EOD\n";
  const int n = spec.samples;
  for (int i = 0; i < n; ++i) {
    double x = spec.xmin + (spec.xmax - spec.xmin) * i / (n - 1);
    for (int j = 0; j < n; ++j) {
      double y = spec.ymin + (spec.ymax - spec.ymin) * j / (n - 1);
      body += num(x) + " " + num(y) + " " + num(spec.f(x, y)) + "\n";
    }
    body += "\n";
  }
  body += "EOD\nset contour base\nunset surface\nset view map\n";
  if (spec.levels.empty()) {
    body += "set cntrparam levels auto 10\n";
  } else {
    body += "set cntrparam levels discrete ";
    for (std::size_t i = 0; i < spec.levels.size(); ++i) body += (i ? "," : "") + num(spec.levels[i]);
    body += "\n";
  }
  body += "set table $contours\nsplot $grid using 1:2:3 with lines\nunset table\nunset contour\n";
  body += "$marks << EOD\n";
  for (const auto& m : spec.marks) body += num(m[0]) + " " + num(m[1]) + "\n";
  if (spec.marks.empty()) body += "NaN NaN\n";
  body += "EOD\n";
  // viridis-like colours by level, as matplotlib's contour
  body += "set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#fde725')\n"
          "unset colorbox\nunset key\nset grid\n";
  body += "set xrange [" + num(spec.xmin) + ":" + num(spec.xmax) + "]\nset yrange [" + num(spec.ymin) + ":" +
          num(spec.ymax) + "]\nset xlabel 'x'\nset ylabel 'y'\n";
  body += multiplot_open(spec.rows, spec.cols, spec.title);
  for (std::size_t i = 0; i < spec.paths.size(); ++i) {
    const ContourPath& p = spec.paths[i];
    if (p.x.size() != p.y.size())
      throw std::invalid_argument(where + " path '" + p.label + "': x has " + std::to_string(p.x.size()) +
                                  " values, y has " + std::to_string(p.y.size()));
    const std::string name = "$path" + std::to_string(i);
    body += p.x.empty() ? name + " << EOD\nNaN NaN\nEOD\n" : gnuplot_detail::xy_block(name, p.x, p.y);
    body += "set title " + quote(p.label) + "\n";
    body += "plot $contours using 1:2:3 with lines lw 1 lc palette, \\\n"
            "     " + name + " using 1:2 with linespoints lw 1.5 pt 7 ps 0.6 lc rgb 'red', \\\n"
            "     $marks using 1:2 with points pt 1 ps 3 lw 2 lc rgb 'black'\n";
  }
  body += "unset multiplot\n";
  gnuplot_detail::render_png(png_path, spec.width ? spec.width : 400 * spec.cols,
                             spec.height ? spec.height : 360 * spec.rows, body);
}

std::vector<std::size_t> histogram_counts(const std::vector<double>& values, int bins, double lo, double hi) {
  if (bins < 1) throw std::invalid_argument("histogram_counts: bins must be at least 1, got " + std::to_string(bins));
  if (!(lo < hi) || !std::isfinite(lo) || !std::isfinite(hi))
    throw std::invalid_argument("histogram_counts: range (" + num(lo) + ", " + num(hi) + ") is empty");
  // np.histogram's equal-width path: a first guess from the scaled value, then corrected
  // against the edges np.linspace(lo, hi, bins + 1) so rounding never puts a value in the wrong bin.
  std::vector<double> edges(static_cast<std::size_t>(bins) + 1);
  const double step = (hi - lo) / bins;
  for (int i = 0; i <= bins; ++i) edges[static_cast<std::size_t>(i)] = lo + i * step;
  edges.back() = hi;
  const double norm = bins / (hi - lo);
  std::vector<std::size_t> counts(static_cast<std::size_t>(bins), 0);
  for (double v : values) {
    if (!(v >= lo && v <= hi)) continue;
    long k = static_cast<long>((v - lo) * norm);
    if (k >= bins) k = bins - 1;
    if (v < edges[static_cast<std::size_t>(k)]) --k;
    else if (k != bins - 1 && v >= edges[static_cast<std::size_t>(k) + 1]) ++k;
    ++counts[static_cast<std::size_t>(k)];
  }
  return counts;
}

void plot_histograms(const std::string& png_path, const std::vector<std::pair<std::string, std::vector<double>>>& data,
                     int bins, double lo, double hi, int rows, int cols, const std::string& title, int width,
                     int height) {
  const std::string where = "plot_histograms " + png_path;
  check_grid(where, data.size(), rows, cols);
  const double bw = (hi - lo) / bins;
  std::string body = multiplot_open(rows, cols, title);
  body += "set style fill solid 1.0 border rgb 'white'\nset boxwidth " + num(bw) + " absolute\nunset key\n"
          "unset logscale\nset grid\nset xrange [" + num(lo) + ":" + num(hi) + "]\nset yrange [0:*]\n"
          "set xlabel ''\nset ylabel ''\n";
  for (std::size_t i = 0; i < data.size(); ++i) {
    std::vector<std::size_t> counts = histogram_counts(data[i].second, bins, lo, hi);
    const std::string name = "$h" + std::to_string(i);
    body += name + " << EOD\n";
    for (int b = 0; b < bins; ++b) body += num(lo + (b + 0.5) * bw) + " " + std::to_string(counts[b]) + "\n";
    body += "EOD\nset title " + quote(data[i].first) + "\n";
    body += "plot " + name + " using 1:2 with boxes lc rgb '#1f77b4'\n";
  }
  body += "unset multiplot\n";
  gnuplot_detail::render_png(png_path, width ? width : 300 * cols, height ? height : 300 * rows, body);
}

}  // namespace dlfs
