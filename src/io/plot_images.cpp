// Grids of small grayscale pictures (digits, conv filters) drawn with gnuplot's `with image`, so
// no PNG encoder is needed in dlfs itself.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "dlfs/io/plot.hpp"
#include "gnuplot.hpp"

namespace dlfs {
namespace {

using gnuplot_detail::quote;

void check_images(const std::string& where, std::size_t n, int h, int w, std::size_t captions, int cols) {
  if (n == 0) throw std::invalid_argument(where + ": no images");
  if (h < 1 || w < 1 || h > 4096 || w > 4096)
    throw std::invalid_argument(where + ": image size " + std::to_string(h) + "x" + std::to_string(w) +
                                " is outside 1..4096");
  if (cols < 1) throw std::invalid_argument(where + ": cols must be at least 1, got " + std::to_string(cols));
  if (captions != 0 && captions != n)
    throw std::invalid_argument(where + ": " + std::to_string(captions) + " captions for " + std::to_string(n) +
                                " images");
}

// images: n pictures of h*w values in 0..255 (already scaled).
void render_grid(const std::string& png_path, const std::vector<std::vector<double>>& images, int h, int w,
                 const std::vector<std::string>& captions, int cols, const ImageGridStyle& style) {
  const int n = static_cast<int>(images.size());
  cols = std::min(cols, n);
  const int rows = (n + cols - 1) / cols;
  const int cell = std::max(90, 4 * std::max(h, w));
  const int caption_px = captions.empty() ? 4 : 22;
  const int width = style.width ? style.width : cols * cell;
  const int height = style.height ? style.height : rows * (cell + caption_px) + (style.title.empty() ? 0 : 30);

  std::string body;
  body += std::string("set palette gray") + (style.gray_r ? " negative" : "") + "\n";
  body += "set cbrange [0:255]\nunset colorbox\nunset key\nunset tics\nset border 15 lw 0.5 lc rgb '#aaaaaa'\n"
          "set xrange [-0.5:" + std::to_string(w) + "-0.5]\n"
          "set yrange [" + std::to_string(h) + "-0.5:-0.5]\n"  // row 0 at the top, as in imshow
          "set size ratio -1\n";
  body += "set multiplot layout " + std::to_string(rows) + "," + std::to_string(cols) + " margins 0.01,0.99,0.01," +
          (style.title.empty() ? "0.99" : std::to_string(1.0 - 30.0 / height)) + " spacing 0.03,0.04" +
          (style.title.empty() ? std::string() : " title " + quote(style.title) + " font ',13'") + "\n";
  for (int k = 0; k < n; ++k) {
    body += "$img" + std::to_string(k) + " << EOD\n";
    for (int r = 0; r < h; ++r) {
      for (int c = 0; c < w; ++c) {
        char buf[16];
        std::snprintf(buf, sizeof buf, c ? " %.4g" : "%.4g", images[k][static_cast<std::size_t>(r * w + c)]);
        body += buf;
      }
      body += "\n";
    }
    body += "EOD\n";
    body += "set title " + quote(captions.empty() ? std::string() : captions[k]) + " offset 0,-0.8\n";
    body += "plot $img" + std::to_string(k) + " matrix with image\n";
  }
  body += "unset multiplot\n";
  gnuplot_detail::render_png(png_path, width, height, body);
}

}  // namespace

void save_image_grid(const std::string& png_path, const std::vector<const std::uint8_t*>& images, int h, int w,
                     const std::vector<std::string>& captions, int cols, const ImageGridStyle& style) {
  check_images("save_image_grid " + png_path, images.size(), h, w, captions.size(), cols);
  std::vector<std::vector<double>> scaled;
  for (const std::uint8_t* img : images) {
    if (!img) throw std::invalid_argument("save_image_grid " + png_path + ": null image pointer");
    scaled.emplace_back(img, img + static_cast<std::size_t>(h) * w);
  }
  render_grid(png_path, scaled, h, w, captions, cols, style);
}

void save_float_image_grid(const std::string& png_path, const std::vector<const float*>& images, int h, int w,
                           const std::vector<std::string>& captions, int cols, const ImageGridStyle& style) {
  check_images("save_float_image_grid " + png_path, images.size(), h, w, captions.size(), cols);
  std::vector<std::vector<double>> scaled;
  const std::size_t npix = static_cast<std::size_t>(h) * w;
  for (const float* img : images) {
    if (!img) throw std::invalid_argument("save_float_image_grid " + png_path + ": null image pointer");
    // Each filter on its own scale (plt.imshow's default normalisation); a constant one is mid-gray.
    float lo = INFINITY, hi = -INFINITY;
    for (std::size_t i = 0; i < npix; ++i)
      if (std::isfinite(img[i])) lo = std::min(lo, img[i]), hi = std::max(hi, img[i]);
    std::vector<double> v(npix, 127.5);
    if (hi > lo)
      for (std::size_t i = 0; i < npix; ++i)
        v[i] = std::isfinite(img[i]) ? 255.0 * (static_cast<double>(img[i]) - lo) / (static_cast<double>(hi) - lo) : 0;
    scaled.push_back(std::move(v));
  }
  render_grid(png_path, scaled, h, w, captions, cols, style);
}

}  // namespace dlfs
