// The IDX reader's item limit (issue 16, hole 6): a header declaring more than kIdxMaxItems
// images or labels is refused on the header, before any data is read or inflated.
#include <gtest/gtest.h>

#include <string>

#include "dlfs/data/idx.hpp"

namespace {

std::string be32(std::uint32_t v) {
  std::string s;
  for (int k = 3; k >= 0; --k) s += static_cast<char>((v >> (8 * k)) & 0xff);
  return s;
}

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(IdxLimits, MoreThanAMillionItemsAreRefusedOnTheHeader) {
  static_assert(dlfs::kIdxMaxItems == 1000000);
  // Exactly at the limit, the header passes and the missing data is what is reported.
  std::string labels = be32(dlfs::kIdxLabelsMagic) + be32(1000000);
  auto* p = reinterpret_cast<const std::uint8_t*>(labels.data());
  EXPECT_NE(error_of([&] { dlfs::parse_idx_labels(p, labels.size(), "l"); }).find("truncated"), std::string::npos);
  labels = be32(dlfs::kIdxLabelsMagic) + be32(1000001);
  p = reinterpret_cast<const std::uint8_t*>(labels.data());
  EXPECT_EQ(error_of([&] { dlfs::parse_idx_labels(p, labels.size(), "l"); }),
            "l: header declares 1,000,001 labels: expected at most 1,000,000 per file");
  const std::string images = be32(dlfs::kIdxImagesMagic) + be32(1369000) + be32(28) + be32(28);
  p = reinterpret_cast<const std::uint8_t*>(images.data());
  EXPECT_EQ(error_of([&] { dlfs::parse_idx_images(p, images.size(), "i"); }),
            "i: header declares 1,369,000 images: expected at most 1,000,000 per file");
}
