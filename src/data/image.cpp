// Digit images in and out. MNIST's preparation (LeCun et al.): the digits were size-normalised to
// fit a 20x20 box keeping their aspect ratio, anti-aliased, then centred by centre of mass in a
// 28x28 field. load_digit_image repeats that for any picture of a digit.
// One addition to that recipe, for photos and scans: after the inversion, the background level
// (the border's mean) is subtracted and the brightest ink stretched to 255, and what is then below
// 40 is dropped, so the crop finds the strokes rather than the paper. A drawing of pure white ink
// on black (the page of dlfs serve) passes through it unchanged.
#include "dlfs/data/image.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

// The implementations live only in this file, as static functions, so they can never clash with
// another copy of stb linked into the same program.
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_MAX_DIMENSIONS 8192  // = kMaxImageSide: stb refuses larger headers before allocating
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
// Our copy of stb_image 2.27 with fixes to its JPEG bit reader (see the note at its top).
#include "../../third_party/stb/stb_image.h"
#include <stb_image_write.h>
#pragma GCC diagnostic pop

namespace dlfs {
namespace {

[[noreturn]] void fail(const std::string& name, const std::string& msg) {
  throw std::runtime_error(name + ": " + msg);
}

// For each of n_out cells, the source indices it overlaps and the fraction of the cell each
// covers (area averaging: the weights of a cell sum to 1).
std::vector<std::vector<std::pair<std::size_t, double>>> area_weights(std::size_t n_in, std::size_t n_out) {
  std::vector<std::vector<std::pair<std::size_t, double>>> w(n_out);
  const double s = double(n_in) / double(n_out);  // source pixels per output pixel
  for (std::size_t o = 0; o < n_out; ++o) {
    double lo = o * s, hi = (o + 1) * s;
    for (auto i = static_cast<std::size_t>(lo); i < n_in && double(i) < hi; ++i) {
      double overlap = std::min(hi, double(i + 1)) - std::max(lo, double(i));
      if (overlap > 1e-12) w[o].push_back({i, overlap / s});
    }
  }
  return w;
}

// (h, w) -> (oh, ow), separable: rows first, then columns.
std::vector<double> resize_area(const std::vector<double>& in, std::size_t w, std::size_t h, std::size_t ow,
                                std::size_t oh) {
  auto wx = area_weights(w, ow), wy = area_weights(h, oh);
  std::vector<double> tmp(h * ow, 0.0), out(oh * ow, 0.0);
  for (std::size_t y = 0; y < h; ++y)
    for (std::size_t x = 0; x < ow; ++x)
      for (auto [i, f] : wx[x]) tmp[y * ow + x] += f * in[y * w + i];
  for (std::size_t y = 0; y < oh; ++y)
    for (auto [i, f] : wy[y])
      for (std::size_t x = 0; x < ow; ++x) out[y * ow + x] += f * tmp[i * ow + x];
  return out;
}

}  // namespace

Tensor<std::uint8_t> mnistify(const std::uint8_t* grey, std::size_t w, std::size_t h, const std::string& name) {
  if (w == 0 || h == 0) fail(name, "expected a non-empty image, found " + std::to_string(w) + "x" + std::to_string(h));
  // MNIST digits are light ink on black. Photos and drawings are usually dark on light: decide
  // from the border, which is background in any sensibly framed picture.
  double border = 0;
  std::size_t nb = 0;
  for (std::size_t y = 0; y < h; ++y) {
    const std::size_t step = (y == 0 || y == h - 1) ? 1 : std::max<std::size_t>(w - 1, 1);  // whole row, or its ends
    for (std::size_t x = 0; x < w; x += step) border += grey[y * w + x], ++nb;
  }
  border /= double(nb);
  const bool invert = border > 127.5;
  std::vector<double> v(w * h);
  for (std::size_t i = 0; i < w * h; ++i) v[i] = invert ? 255.0 - grey[i] : grey[i];
  const double bg = invert ? 255.0 - border : border;
  const double top = *std::max_element(v.begin(), v.end());
  if (top - bg < 32)
    fail(name, "expected a digit (ink contrasting with the background), found a nearly uniform image");

  // Stretch background..brightest ink to 0..255 and drop faint paper texture, so the crop finds
  // the strokes rather than the sheet.
  std::size_t x0 = w, y0 = h, x1 = 0, y1 = 0;
  for (std::size_t y = 0; y < h; ++y)
    for (std::size_t x = 0; x < w; ++x) {
      double& p = v[y * w + x];
      p = std::clamp((p - bg) * 255.0 / (top - bg), 0.0, 255.0);
      if (p < 40) p = 0;
      if (p > 0) x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
    }
  const std::size_t cw = x1 - x0 + 1, ch = y1 - y0 + 1;  // crop (ch, cw)
  std::vector<double> crop(cw * ch);
  for (std::size_t y = 0; y < ch; ++y)
    for (std::size_t x = 0; x < cw; ++x) crop[y * cw + x] = v[(y0 + y) * w + x0 + x];

  // Longer side to 20 px, aspect kept.
  const double s = 20.0 / double(std::max(cw, ch));
  const std::size_t ow = std::clamp<std::size_t>(static_cast<std::size_t>(std::lround(cw * s)), 1, 20);
  const std::size_t oh = std::clamp<std::size_t>(static_cast<std::size_t>(std::lround(ch * s)), 1, 20);
  std::vector<double> box = resize_area(crop, cw, ch, ow, oh);  // (oh, ow)

  // Centre of mass (pixel centres at i + 0.5) onto the field's centre (14, 14); shifts are clamped
  // so the whole box stays inside the field.
  double m = 0, mx = 0, my = 0;
  for (std::size_t y = 0; y < oh; ++y)
    for (std::size_t x = 0; x < ow; ++x) {
      double p = box[y * ow + x];
      m += p, mx += p * (x + 0.5), my += p * (y + 0.5);
    }
  auto offset = [&](double com, std::size_t extent) {
    long o = static_cast<long>(std::floor(14.0 - com + 0.5));
    return static_cast<std::size_t>(std::clamp<long>(o, 0, 28 - static_cast<long>(extent)));
  };
  const std::size_t ox = offset(mx / m, ow), oy = offset(my / m, oh);
  Tensor<std::uint8_t> out(Shape{28, 28});  // (28, 28)
  for (std::size_t y = 0; y < oh; ++y)
    for (std::size_t x = 0; x < ow; ++x)
      out(oy + y, ox + x) = static_cast<std::uint8_t>(std::clamp(std::lround(box[y * ow + x]), 0L, 255L));
  return out;
}

namespace {

// Input checks for stb_image 2.27, whose decoders misbehave on some corrupt files that
// fuzz/fuzz_image found (reproducers in tests/regressions/image/). Each check refuses only files
// that are corrupt or that no encoder writes, before any stb call (stbi_info parses them too).
//  - JPEG: a DHT segment declaring more than 256 codes makes stb write past its Huffman arrays.
//    Walk the segments the way stb does and refuse such a table. And stb decodes missing coded
//    data as zeros, so a tiny file could declare 8192x8192 pixels: every 8x8 block of a real
//    JPEG costs at least one bit (its DC code), so refuse files smaller than that.
//  - PNG: an empty IDAT chunk before any image data makes stb memcpy into a null buffer, and a
//    chunk length beyond the end of the file makes it allocate that much (up to 4 GB) first.
//  - BMP: stb reads pixels past the end of the file as zeros, so a 2 KB file declaring
//    7168x7168 pixels cost 50 MB and seconds of work: the file must hold the rows it declares.
//    A negative compression code slipped past that check (stb takes it as uncompressed).
// stb refuses sides of 0 or above STBI_MAX_DIMENSIONS, but stbi_info then reports only that no
// decoder took the file ("unknown image type"): say what is wrong with it instead.
void check_size(const std::string& path, const char* format, std::uint64_t w, std::uint64_t h) {
  const std::string size = std::to_string(w) + "x" + std::to_string(h);
  if (w == 0 || h == 0) fail(path, std::string("empty ") + format + ": " + size + " pixels, expected at least 1x1");
  if (w > std::uint64_t(kMaxImageSide) || h > std::uint64_t(kMaxImageSide))
    fail(path, std::string(format) + " too large: " + size + " pixels, expected at most " +
                   std::to_string(kMaxImageSide) + "x" + std::to_string(kMaxImageSide));
}

void check_jpeg(const std::string& path, const std::string& b) {
  auto at = [&](std::size_t i) -> std::size_t { return i < b.size() ? static_cast<unsigned char>(b[i]) : 0; };
  // stb reads a marker as 0xFF, any number of 0xFF fill bytes, then the code: FF FF D8 is an SOI too.
  std::size_t i = 0;
  if (at(i) != 0xFF) return;
  while (at(i) == 0xFF) ++i;
  if (at(i) != 0xD8) return;  // not a JPEG
  ++i;
  while (i + 1 < b.size()) {
    if (at(i) != 0xFF) {  // entropy-coded data after SOS: look for the next marker
      ++i;
      continue;
    }
    const std::size_t m = at(i + 1);
    if (m == 0xFF || m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {  // fill, stuffing, TEM, RSTn
      i += m == 0xFF ? 1 : 2;
      continue;
    }
    if (m == 0xD9) return;  // EOI
    const std::size_t len = at(i + 2) << 8 | at(i + 3);
    if (m == 0xC0 || m == 0xC1 || m == 0xC2) {  // SOF (the Huffman kinds stb decodes): P, height, width
      const std::size_t h = at(i + 5) << 8 | at(i + 6), w = at(i + 7) << 8 | at(i + 8);
      check_size(path, "JPEG", w, h);  // (a height of 0, defined later by a DNL marker, stb refuses too)
      const std::size_t blocks = ((w + 7) / 8) * ((h + 7) / 8), need = (blocks + 7) / 8;
      if (b.size() < need)
        fail(path, "truncated JPEG: a " + std::to_string(w) + "x" + std::to_string(h) + " image needs at least " +
                       std::to_string(need) + " bytes of coded data (a bit per 8x8 block), the file holds " +
                       std::to_string(b.size()));
    }
    if (m == 0xC4) {  // DHT: tables of 1 + 16 + codes bytes while the segment has bytes left
      for (std::size_t p = i + 4, end = i + 2 + len; p < end && p < b.size();) {
        std::size_t codes = 0;
        for (std::size_t k = 1; k <= 16; ++k) codes += at(p + k);
        if (codes > 256)
          fail(path, "corrupt JPEG: a Huffman table declares " + std::to_string(codes) +
                         " codes, expected at most 256");
        p += 17 + codes;
      }
    }
    i += 2 + len;
  }
}

void check_png(const std::string& path, const std::string& b) {
  static const char sig[] = "\x89PNG\r\n\x1a\n";
  if (b.size() < 8 || b.compare(0, 8, sig, 8) != 0) return;
  auto be32 = [&](std::size_t i) {
    return std::size_t(static_cast<unsigned char>(b[i])) << 24 | std::size_t(static_cast<unsigned char>(b[i + 1])) << 16 |
           std::size_t(static_cast<unsigned char>(b[i + 2])) << 8 | std::size_t(static_cast<unsigned char>(b[i + 3]));
  };
  if (b.size() >= 24 && b.compare(12, 4, "IHDR") == 0) check_size(path, "PNG", be32(16), be32(20));
  bool seen_data = false;
  for (std::size_t i = 8; i + 8 <= b.size();) {  // chunks: length, type, data, CRC
    const std::size_t len = be32(i), left = b.size() - i - 8;
    std::string type = b.substr(i + 4, 4);
    if (!std::all_of(type.begin(), type.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); }))
      type = "?";
    // stb grows its buffer to the declared length before reading: never trust it beyond the file.
    if (len > left)
      fail(path, "truncated PNG: chunk " + type + " declares " + std::to_string(len) + " bytes, the file holds " +
                     std::to_string(left) + " after its header");
    if (type == "IDAT") {
      if (len == 0 && !seen_data)
        fail(path, "corrupt PNG: expected image data in the first IDAT chunk, found an empty chunk");
      seen_data = true;
    }
    if (type == "IEND") return;
    i += 12 + len;
  }
}

void check_bmp(const std::string& path, const std::string& b) {
  if (b.size() < 2 || b[0] != 'B' || b[1] != 'M') return;
  auto le = [&](std::size_t i, int n) {  // bytes past the end read as 0: stb refuses such a header
    std::uint64_t v = 0;
    for (int k = n - 1; k >= 0; --k) v = v << 8 | (i + k < b.size() ? static_cast<unsigned char>(b[i + k]) : 0u);
    return v;
  };
  const std::uint64_t offset = le(10, 4), hsz = le(14, 4);
  std::uint64_t w, h, bpp;
  if (hsz == 12) {  // OS/2 core header: 16-bit sizes
    w = le(18, 2), h = le(20, 2), bpp = le(24, 2);
  } else if (hsz == 40 || hsz == 56 || hsz == 108 || hsz == 124) {
    w = le(18, 4), bpp = le(28, 2);
    const auto sh = static_cast<std::int32_t>(le(22, 4));  // negative: rows stored top-down
    h = sh < 0 ? 0 - static_cast<std::uint64_t>(static_cast<std::int64_t>(sh)) : static_cast<std::uint64_t>(sh);
    // stb reads the compression as a signed int and refuses 1, 2 and >= 4 itself, but takes a
    // negative value for uncompressed pixels: refuse that here, it is no encoder's output.
    const auto comp = static_cast<std::int32_t>(le(30, 4));
    if (comp < 0)
      fail(path, "corrupt BMP: expected a compression code of 0 to 3, found " + std::to_string(le(30, 4)));
    if (comp != 0 && comp != 3) return;  // compressed: stb refuses those itself
  } else {
    return;  // stb refuses unknown headers
  }
  check_size(path, "BMP", w, h);
  if (bpp == 0 || bpp > 32) return;  // stb refuses these with its own message
  // Rows are padded to 4 bytes; the last row's padding may be missing.
  const std::uint64_t row = (w * bpp + 7) / 8, stride = (w * bpp + 31) / 32 * 4;
  const std::uint64_t need = std::max(offset, 14 + hsz) + stride * (h - 1) + row;
  if (b.size() < need)
    fail(path, "truncated BMP: " + std::to_string(w) + "x" + std::to_string(h) + " pixels at " + std::to_string(bpp) +
                   " bits need " + std::to_string(need) + " bytes, the file holds " + std::to_string(b.size()));
}

void check_for_stb(const std::string& path, const std::string& b) {
  check_jpeg(path, b);
  check_png(path, b);
  check_bmp(path, b);
}

}  // namespace

Tensor<std::uint8_t> load_digit_image(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail(path, "cannot open: no such file");
  if (!std::filesystem::is_regular_file(path, ec)) fail(path, "expected an image file, found a directory or device");
  if (std::filesystem::file_size(path, ec) > (std::uintmax_t(256) << 20))
    fail(path, "expected an image file of at most 256 MB, found " +
                   std::to_string(std::filesystem::file_size(path, ec) >> 20) + " MB");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, std::string("cannot open: ") + std::strerror(errno));
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return decode_digit_image(bytes, path);
}

Tensor<std::uint8_t> decode_digit_image(const std::string& bytes, const std::string& name) {
  if (bytes.empty()) fail(name, "expected a PNG, JPEG or BMP image, found an empty file");
  check_for_stb(name, bytes);  // before any stb call: stbi_info parses headers and tables too
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  if (bytes.size() > std::size_t(std::numeric_limits<int>::max()))
    fail(name, "expected an image file of at most 2 GB, found " + std::to_string(bytes.size() >> 20) + " MB");
  const int len = static_cast<int>(bytes.size());
  int w = 0, h = 0, c = 0;
  if (!stbi_info_from_memory(data, len, &w, &h, &c))
    fail(name, std::string("expected a PNG, JPEG or BMP image, stb_image could not read it: ") + stbi_failure_reason());
  if (w <= 0 || h <= 0 || w > kMaxImageSide || h > kMaxImageSide)
    fail(name, "expected at most " + std::to_string(kMaxImageSide) + "x" + std::to_string(kMaxImageSide) +
                   " pixels, found " + std::to_string(w) + "x" + std::to_string(h));
  // Grey + alpha: transparent areas are composited over white, as a viewer shows them.
  std::unique_ptr<stbi_uc, void (*)(void*)> px(stbi_load_from_memory(data, len, &w, &h, &c, 2), stbi_image_free);
  if (!px) fail(name, std::string("stb_image could not decode it: ") + stbi_failure_reason());
  std::vector<std::uint8_t> grey(static_cast<std::size_t>(w) * static_cast<std::size_t>(h));
  for (std::size_t i = 0; i < grey.size(); ++i) {
    int g = px.get()[2 * i], a = px.get()[2 * i + 1];
    grey[i] = static_cast<std::uint8_t>((g * a + 255 * (255 - a) + 127) / 255);
  }
  return mnistify(grey.data(), static_cast<std::size_t>(w), static_cast<std::size_t>(h), name);
}

std::vector<float> digit_to_input(const Tensor<std::uint8_t>& img) {
  std::vector<float> x(img.size());
  for (std::size_t i = 0; i < img.size(); ++i) x[i] = float(img[i]) / 255.0f;
  return x;
}

std::string ascii_art(const std::uint8_t* img, std::size_t rows, std::size_t cols) {
  static const char ramp[] = " .:-=+*#%@";
  std::string s;
  s.reserve(rows * (2 * cols + 1));
  for (std::size_t y = 0; y < rows; ++y) {
    for (std::size_t x = 0; x < cols; ++x) {
      char ch = ramp[img[y * cols + x] * 10 / 256];
      s += ch;
      s += ch;
    }
    s += '\n';
  }
  return s;
}

void save_png_grey(const std::string& path, const std::uint8_t* pixels, std::size_t w, std::size_t h) {
  if (w == 0 || h == 0 || w > 65535 || h > 65535)
    fail(path, "expected an image of 1..65535 pixels per side, found " + std::to_string(w) + "x" + std::to_string(h));
  if (!stbi_write_png(path.c_str(), static_cast<int>(w), static_cast<int>(h), 1, pixels, static_cast<int>(w)))
    fail(path, std::string("cannot write PNG: ") + std::strerror(errno));
}

}  // namespace dlfs
