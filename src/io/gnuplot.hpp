// Private to src/io: writing gnuplot scripts and running gnuplot to produce a PNG.
#pragma once
#include <string>
#include <vector>

namespace dlfs::gnuplot_detail {

// A gnuplot single-quoted string literal ('' escapes a quote; nothing else is special).
std::string quote(const std::string& s);
// A number for a data block; non-finite values become NaN, which gnuplot skips.
std::string num(double v);
// "$name << EOD ... EOD" with one "x y" line per point.
std::string xy_block(const std::string& name, const std::vector<double>& x, const std::vector<double>& y);

// Runs gnuplot on `body` (everything after the terminal/output lines) and writes the picture to
// png_path atomically, width x height pixels. Temporary files live in a private folder that is
// removed afterwards. Throws std::runtime_error with gnuplot's own message on failure, or
// "... install gnuplot (scripts/install_deps.sh)" when there is no gnuplot.
void render_png(const std::string& png_path, int width, int height, const std::string& body);

void check_size(const std::string& where, int width, int height);

}  // namespace dlfs::gnuplot_detail
