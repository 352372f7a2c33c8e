// Your own digit photo or drawing -> a 28x28 MNIST-like image, for `dlfs predict`.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dlfs/tensor.hpp"

namespace dlfs {

// Images larger than this (either side) are refused before decoding.
inline constexpr int kMaxImageSide = 8192;

// Reads a PNG, JPEG or BMP of any size and prepares it the way MNIST digits were prepared:
// grey, white ink on black (inverted when the border is light), cropped to the ink, the longer side
// scaled to 20 px (area averaging, aspect kept), placed in a 28x28 field with its centre of mass at
// the centre. Returns (28, 28) bytes. Throws std::runtime_error naming the file and the reason
// (unreadable, empty, not an image, too large, or no ink at all).
Tensor<std::uint8_t> load_digit_image(const std::string& path);

// The same for an image file's bytes already in memory (an HTTP upload); name is used in errors.
// load_digit_image reads the file and calls this, so `dlfs predict --image` and `dlfs serve`
// prepare a picture identically.
Tensor<std::uint8_t> decode_digit_image(const std::string& bytes, const std::string& name);

// The last step of MNIST's preparation as the nets see it: each byte divided by 255 (0..1), in
// the image's row-major order.
std::vector<float> digit_to_input(const Tensor<std::uint8_t>& img);

// The same preparation for grey pixels already in memory (row-major, h rows of w); name is used
// in error messages.
Tensor<std::uint8_t> mnistify(const std::uint8_t* grey, std::size_t w, std::size_t h, const std::string& name);

// A digit as text, one line per row, two characters per pixel (terminal cells are about twice as
// tall as wide) from " .:-=+*#%@" by intensity.
std::string ascii_art(const std::uint8_t* img, std::size_t rows, std::size_t cols);

// Writes w x h grey bytes as an 8-bit PNG.
void save_png_grey(const std::string& path, const std::uint8_t* pixels, std::size_t w, std::size_t h);

}  // namespace dlfs
