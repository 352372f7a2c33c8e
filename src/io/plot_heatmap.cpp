// The confusion matrix of dlfs evaluate as a heat map with the count written in every cell, drawn
// by gnuplot's `with image` under `with labels`.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "dlfs/io/plot.hpp"
#include "gnuplot.hpp"

namespace dlfs {

void plot_confusion_matrix(const std::string& png_path, const std::vector<std::size_t>& counts, std::size_t classes,
                           const std::string& title) {
  if (classes == 0 || classes > 100)
    throw std::invalid_argument("plot_confusion_matrix: expected 1 to 100 classes, got " + std::to_string(classes));
  if (counts.size() != classes * classes)
    throw std::invalid_argument("plot_confusion_matrix: expected " + std::to_string(classes * classes) +
                                " counts for " + std::to_string(classes) + " classes, got " +
                                std::to_string(counts.size()));
  const std::size_t top = std::max<std::size_t>(1, *std::max_element(counts.begin(), counts.end()));
  const std::string last = std::to_string(classes) + "-0.5";
  std::string body;
  body += "$m << EOD\n";
  for (std::size_t r = 0; r < classes; ++r)
    for (std::size_t c = 0; c < classes; ++c)
      body += std::to_string(c) + " " + std::to_string(r) + " " + std::to_string(counts[r * classes + c]) + "\n";
  body += "EOD\n";
  // matplotlib's Blues: white for 0, dark blue for the largest count; the count is written in
  // white on the dark half so it stays readable.
  body += "set palette defined (0 '#f7fbff', 0.5 '#6baed6', 1 '#08306b')\n"
          "set cbrange [0:" + std::to_string(top) + "]\n"
          "set xrange [-0.5:" + last + "]\nset yrange [" + last + ":-0.5]\n"  // true label 0 at the top
          "set xtics 1 scale 0\nset ytics 1 scale 0\nset size ratio -1\nunset key\n"
          "set xlabel 'predicted label'\nset ylabel 'true label'\n"
          "set title " + gnuplot_detail::quote(title) + "\n"
          "half = " + std::to_string(top) + " / 2.0\n"
          "plot $m using 1:2:3 with image, \\\n"
          "     $m using 1:2:($3 > half ? sprintf('%d', $3) : '') with labels textcolor rgb 'white' font ',9', \\\n"
          "     $m using 1:2:($3 > half ? '' : sprintf('%d', $3)) with labels textcolor rgb 'black' font ',9'\n";
  const int side = static_cast<int>(std::max<std::size_t>(400, 52 * classes + 160));
  gnuplot_detail::render_png(png_path, side + 80, side, body);
}

}  // namespace dlfs
