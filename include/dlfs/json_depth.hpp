// JSON read from files (a model's __config__, a checkpoint's __checkpoint__, npm's digit files)
// is hostile input. nlohmann parses deep nesting without recursion, but copying or comparing the
// resulting value recurses once per level: 60,000 levels in a 793-byte deflated file overflowed
// the stack. So the nesting is measured on the raw text, before nlohmann sees it.
#pragma once
#include <cstddef>
#include <stdexcept>
#include <string>

namespace dlfs {

// Far above any document dlfs writes (a checkpoint's is 4 levels deep), far below a stack's reach.
inline constexpr std::size_t kMaxJsonDepth = 64;

// Throws std::runtime_error("<what>: JSON nested deeper than expected: at most 64 levels, found
// more at byte N") when the brackets of text, outside strings, nest deeper than max_depth.
// Malformed text is left for the parser to report.
inline void check_json_depth(const char* text, std::size_t n, const std::string& what,
                             std::size_t max_depth = kMaxJsonDepth) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;  // the escaped character cannot end the string
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        throw std::runtime_error(what + ": JSON nested deeper than expected: at most " + std::to_string(max_depth) +
                                 " levels, found more at byte " + std::to_string(i));
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
}

}  // namespace dlfs
