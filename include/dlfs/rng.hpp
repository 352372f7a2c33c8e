// A small, explicitly seeded random source. Its algorithms are written out here (not left to the
// standard library's distributions) so a seed gives the same numbers with any compiler, and its
// whole state fits in a checkpoint.
#pragma once
#include <cstdint>
#include <vector>

namespace dlfs {

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0) { seed_with(seed); }
  void seed_with(std::uint64_t seed);

  std::uint64_t next_u64();                 // xoshiro256**
  double uniform();                         // [0, 1)
  double uniform(double lo, double hi);     // [lo, hi)
  double normal();                          // standard normal (Box-Muller)
  std::size_t randint(std::size_t n);       // uniform in [0, n), unbiased
  // n draws from [0, n_total) with replacement, like np.random.choice(train_size, batch_size).
  void choice(std::size_t n_total, std::size_t n, std::vector<std::size_t>& out);
  // A random permutation of 0..n-1 (Fisher-Yates).
  std::vector<std::size_t> permutation(std::size_t n);

  // Full state, for checkpoints: 4 words of xoshiro plus the cached second normal.
  std::vector<std::uint64_t> state() const;
  void set_state(const std::vector<std::uint64_t>& s);

 private:
  std::uint64_t s_[4]{};
  bool has_spare_ = false;
  double spare_ = 0;
};

}  // namespace dlfs
