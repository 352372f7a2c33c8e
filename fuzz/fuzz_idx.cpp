// libFuzzer target: see fuzz_entry.hpp. Run through scripts/fuzz.sh.
#include "fuzz_entry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  dlfs::fuzz::idx(data, size);
  return 0;
}
