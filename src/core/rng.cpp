#include "dlfs/rng.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <numbers>
#include <stdexcept>

namespace dlfs {

namespace {
std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace

void Rng::seed_with(std::uint64_t seed) {
  for (auto& w : s_) w = splitmix64(seed);
  has_spare_ = false;
  spare_ = 0;
}

std::uint64_t Rng::next_u64() {
  const std::uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = std::rotl(s_[3], 45);
  return result;
}

double Rng::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
double Rng::uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u1 = uniform();
  while (u1 <= 0.0) u1 = uniform();
  double u2 = uniform();
  double r = std::sqrt(-2.0 * std::log(u1));
  double th = 2.0 * std::numbers::pi * u2;
  spare_ = r * std::sin(th);
  has_spare_ = true;
  return r * std::cos(th);
}

std::size_t Rng::randint(std::size_t n) {
  if (n == 0) throw std::invalid_argument("Rng::randint: n must be positive");
  // Lemire's rejection keeps the draw unbiased for any n.
  std::uint64_t threshold = (0 - static_cast<std::uint64_t>(n)) % n;
  for (;;) {
    std::uint64_t x = next_u64();
    if (x >= threshold) return static_cast<std::size_t>(x % n);
  }
}

void Rng::choice(std::size_t n_total, std::size_t n, std::vector<std::size_t>& out) {
  out.resize(n);
  for (auto& v : out) v = randint(n_total);
}

std::vector<std::size_t> Rng::permutation(std::size_t n) {
  std::vector<std::size_t> p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = i;
  for (std::size_t i = n; i > 1; --i) std::swap(p[i - 1], p[randint(i)]);
  return p;
}

std::vector<std::uint64_t> Rng::state() const {
  std::uint64_t spare_bits;
  std::memcpy(&spare_bits, &spare_, sizeof spare_bits);
  return {s_[0], s_[1], s_[2], s_[3], has_spare_ ? 1u : 0u, spare_bits};
}

void Rng::set_state(const std::vector<std::uint64_t>& s) {
  if (s.size() != 6) throw std::invalid_argument("Rng state: expected 6 words, got " + std::to_string(s.size()));
  for (int i = 0; i < 4; ++i) s_[i] = s[i];
  has_spare_ = s[4] != 0;
  std::memcpy(&spare_, &s[5], sizeof spare_);
}

}  // namespace dlfs
