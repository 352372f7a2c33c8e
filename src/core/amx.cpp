// AMX kernels (see amx.hpp). The library is built for plain x86-64: the instructions are enabled
// per function, and SparseRows uses the Tiles layout only where available() says so.
#include "amx.hpp"

#include <stdexcept>

#include "sparse_pairs.hpp"

namespace dlfs::amx {
namespace {

constexpr std::size_t kTile = 512;  // uint16_t elements of a full B tile: 16 rows x 64 bytes

// The packed B of pack_b: per step of 32 rows of K, per column tile c, its three parts; every
// tile 16 rows (pairs of K rows) of 2 x cols(c) bf16, the last column tile only as wide as the
// columns left (M = 50: 3 tiles of 16 and one of 2, so 22% less to write and read than 4 x 16).
struct PackedB {
  std::size_t CT, last;  // column tiles; columns of the last
  PackedB(std::size_t M) : CT((M + 15) / 16), last(M - 16 * (CT - 1)) {}
  std::size_t cols(std::size_t c) const { return c + 1 == CT ? last : 16; }
  std::size_t tile(std::size_t c) const { return 32 * cols(c); }  // uint16_t elements
  std::size_t step() const { return 3 * ((CT - 1) * kTile + tile(CT - 1)); }
  std::size_t at(std::size_t s, std::size_t c, int p) const {
    return s * step() + 3 * kTile * c + static_cast<std::size_t>(p) * tile(c);
  }
};

}  // namespace

std::size_t packed_b_size(std::size_t K, std::size_t M) { return padded(K) / kBlock * PackedB(M).step(); }

}  // namespace dlfs::amx

#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__)
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DLFS_AMX_TARGET __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bw,avx512vl,avx512bf16")))

namespace dlfs::amx {

namespace {

bool detect() {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512bw") || !__builtin_cpu_supports("avx512vl")) return false;
  // AMX-TILE, AMX-BF16 and AVX512-BF16 from CPUID itself: clang 14's __builtin_cpu_supports does
  // not know their names. Leaf 7.0 EDX bits 24 and 22, leaf 7.1 EAX bit 5.
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(d >> 24 & 1u) || !(d >> 22 & 1u)) return false;
  if (!__get_cpuid_count(7, 1, &a, &b, &c, &d) || !(a >> 5 & 1u)) return false;
  // Linux gives a process the 8 KB tile state only on request (arch_prctl ARCH_REQ_XCOMP_PERM
  // for XTILEDATA, feature 18); without it the first tile instruction kills the process.
  constexpr long kReqXcompPerm = 0x1023, kXtileData = 18;
  return syscall(SYS_arch_prctl, kReqXcompPerm, kXtileData) == 0;
}

// The tile configuration of product(): tiles 0-3 accumulators (16 rows x 16 floats), 4-5 the two
// 16-row halves of A's block, 6-7 B tiles; all 16 rows x 64 bytes, except that the accumulators
// and the B tile of a last, narrower column tile (`narrow`: 0 for those of tiles 0, 2 and 6, 1 for
// 1, 3 and 7) have `cols` columns.
struct alignas(64) TileConfig {
  std::uint8_t palette = 1, start_row = 0, reserved[14] = {};
  std::uint16_t colsb[16] = {};
  std::uint8_t rows[16] = {};
  TileConfig(int narrow = -1, std::size_t cols = 16) {
    for (int t = 0; t < 8; ++t) {
      colsb[t] = 64;
      rows[t] = 16;
    }
    if (narrow >= 0)
      for (int t : {narrow, narrow + 2, narrow + 6}) colsb[t] = static_cast<std::uint16_t>(4 * cols);
  }
};

// 32 bytes (the first n of them, the rest 0) as 32 bf16, through float (the bytes are integers,
// exact in both). The halves are loaded apart so that no extract competes with the conversions
// for the shuffle port, which bounds the packing passes.
DLFS_AMX_TARGET inline __m512i bytes_bf16(const std::uint8_t* p, std::size_t n) {
  __m128i lo8, hi8;
  if (n >= 32) {
    lo8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    hi8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
  } else {
    const __m256i b = _mm256_maskz_loadu_epi8((__mmask32(1) << n) - 1, p);
    lo8 = _mm256_castsi256_si128(b);
    hi8 = _mm256_extracti128_si256(b, 1);
  }
  const __m512 lo = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(lo8));
  const __m512 hi = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(hi8));
  return (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
}

// One (16 x 32) x (32 x 16) step for both halves of A into accumulators CA (rows 0-15) and CB
// (rows 16-31), B tile in register BT loaded from b (rows of `stride` bytes).
#define DLFS_STEP(CA, CB, BT, b, stride) \
  _tile_loadd(BT, (b), (stride));        \
  _tile_dpbf16ps(CA, 4, BT);     \
  if (kLower) _tile_dpbf16ps(CB, 5, BT);

// The steps of a column-tile pair (c, c + 1; `two` false: c alone) into accumulators 0-3;
// kLower false: the block's rows 16-31 are padding (a last block of at most 16 rows) and are
// skipped.
template <bool kLower>
DLFS_AMX_TARGET inline void pair_steps(const std::uint16_t* a, const std::uint16_t* b, std::size_t steps,
                                       const PackedB& pb, std::size_t c, bool two) {
  const std::size_t s0 = 4 * pb.cols(c), s1 = two ? 4 * pb.cols(c + 1) : 0;
  for (std::size_t s = 0; s < steps; ++s) {
    _tile_loadd(4, a + s * kBlock * 32, 64);
    if (kLower) _tile_loadd(5, a + s * kBlock * 32 + 16 * 32, 64);
    // Part by part, both column tiles: four independent accumulators between two updates of one.
    for (int p = 0; p < 3; ++p) {
      DLFS_STEP(0, 2, 6, b + pb.at(s, c, p), s0)
      if (two) {
        DLFS_STEP(1, 3, 7, b + pb.at(s, c + 1, p), s1)
      }
    }
  }
}

}  // namespace

bool available() {
  static const bool ok = detect();
  return ok;
}

DLFS_AMX_TARGET void pack_b(const float* B, std::size_t K, std::size_t M, std::size_t ldb, std::uint16_t* out) {
  const PackedB pb(M);
  const std::size_t CT = pb.CT, steps = padded(K) / kBlock;
  // Lane n of a tile row holds (row ka, row kb) of column n: the two rows' 16 bf16 each, as
  // vcvtne2ps2bf16 leaves them (kb's in the upper half), interleaved word by word.
  const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22,
                                              6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  for (std::size_t s = 0; s < steps; ++s)
    for (std::size_t j = 0; j < 16; ++j) {
      const std::size_t ka = s * kBlock + 2 * j, kb = ka + 1;
      for (std::size_t c = 0; c < CT; ++c) {
        const std::size_t n = M - 16 * c < 16 ? M - 16 * c : 16;
        const __mmask16 m = static_cast<__mmask16>((1u << n) - 1);
        __m512 ra = ka < K ? _mm512_maskz_loadu_ps(m, B + ka * ldb + 16 * c) : _mm512_setzero_ps();
        __m512 rb = kb < K ? _mm512_maskz_loadu_ps(m, B + kb * ldb + 16 * c) : _mm512_setzero_ps();
        // hi, mid, lo of both rows: each part the rest of the one before rounded to bf16 (the
        // differences are exact in float, and the last part is exactly the rest).
        const __mmask32 lanes = n == 16 ? ~__mmask32(0) : (__mmask32(1) << (2 * n)) - 1;
        for (int p = 0; p < 3; ++p) {
          const __m512i both = (__m512i)_mm512_cvtne2ps_pbh(rb, ra);  // ra's bf16 low, rb's high
          const __m512i pair = _mm512_permutexvar_epi16(interleave, both);
          _mm512_mask_storeu_epi16(out + pb.at(s, c, p) + 2 * n * j, lanes, pair);
          if (p == 2) break;
          // The parts back as floats, from the interleaved pair: each bf16 is the upper half of
          // its float.
          const __m512 ha = _mm512_castsi512_ps(_mm512_slli_epi32(pair, 16));
          const __m512 hb = _mm512_castsi512_ps(_mm512_and_si512(pair, _mm512_set1_epi32(int(0xFFFF0000u))));
          ra = _mm512_sub_ps(ra, ha);
          rb = _mm512_sub_ps(rb, hb);
        }
      }
    }
}

DLFS_AMX_TARGET void pack_rows(const std::uint8_t* const* rows, std::size_t n, std::size_t more, bool cold,
                               std::size_t cols, std::uint16_t* dst, std::size_t lda) {
  // A batch's rows are random rows of the set, touched here first: the rows six ahead are
  // prefetched while one is converted (without, this pass cost half the product's time), the
  // `more` rows after the block included, so that the next block starts with its rows in cache.
  constexpr std::size_t kAhead = 6;
  if (cold)
    for (std::size_t i = 0; i < n && i < kAhead; ++i)
      for (std::size_t k = 0; k < cols; k += 64) _mm_prefetch(reinterpret_cast<const char*>(rows[i] + k), _MM_HINT_T0);
  // (The block's padding rows n..31 are left as they are: a product's output row depends on its
  // own row of A only, and the rows past n are never stored.)
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* src = rows[i];
    const std::uint8_t* ahead = i + kAhead < n + more ? rows[i + kAhead] : nullptr;
    for (std::size_t k = 0; k < lda; k += 32) {
      if (ahead && k % 64 == 0 && k < cols) _mm_prefetch(reinterpret_cast<const char*>(ahead + k), _MM_HINT_T0);
      _mm512_storeu_si512(dst + k * kBlock + i * 32, k < cols ? bytes_bf16(src + k, cols - k) : _mm512_setzero_si512());
    }
  }
}

DLFS_AMX_TARGET void pack_block_transposed(const std::uint8_t* const* rows, std::size_t n, std::size_t cols,
                                           std::uint16_t* dst, std::size_t ldt, std::size_t step) {
  if (n > kBlock) throw std::invalid_argument("amx::pack_block_transposed: expected at most 32 rows");
  alignas(64) static thread_local std::uint8_t t[kBlock * 1024];
  for (std::size_t k0 = 0; k0 < cols; k0 += 1024) {  // (1024 columns of 32 rows at a time)
    const std::size_t w = cols - k0 < 1024 ? cols - k0 : 1024;
    const std::uint8_t* shifted[kBlock];
    for (std::size_t i = 0; i < n; ++i) shifted[i] = rows[i] + k0;
    pairs::transpose_bytes(shifted, n, w, t, kBlock);
    for (std::size_t k = k0; k < k0 + w; ++k)  // row k % 32 of the (k / 32)-th block, its step `step`
      _mm512_storeu_si512(dst + (k / kBlock) * kBlock * ldt + step * kBlock * 32 + (k % kBlock) * 32,
                          bytes_bf16(t + (k - k0) * kBlock, 32));
  }
}

DLFS_AMX_TARGET void product(const std::uint16_t* a, std::size_t lda, std::size_t rows, const std::uint16_t* b,
                             std::size_t M, const float* bias, float scale, float* out, std::size_t ldo) {
  const PackedB pb(M);
  const std::size_t CT = pb.CT, steps = lda / kBlock;
  const bool lower = rows > 16;
  alignas(64) float acc[kBlock * 32];  // a pair of column tiles: 32 rows x 32 floats
  const TileConfig full, narrow0(0, pb.last), narrow1(1, pb.last);
  for (std::size_t c = 0; c < CT; c += 2) {
    const bool two = c + 1 < CT;
    // (Loading a configuration zeroes every tile; the accumulators are zeroed below anyway.)
    const bool last_narrow = pb.last < 16 && c + (two ? 1 : 0) + 1 == CT;
    _tile_loadconfig(!last_narrow ? &full : two ? &narrow1 : &narrow0);
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    if (lower) pair_steps<true>(a, b, steps, pb, c, two);
    else pair_steps<false>(a, b, steps, pb, c, two);
    _tile_stored(0, acc, 128);
    if (lower) _tile_stored(2, acc + 16 * 32, 128);
    if (two) {
      _tile_stored(1, acc + 16, 128);
      if (lower) _tile_stored(3, acc + 16 * 32 + 16, 128);
    }
    const std::size_t c0 = 16 * c, w = M - c0 < 32 ? M - c0 : 32;
    const __m512 vs = _mm512_set1_ps(scale);
    for (std::size_t i = 0; i < rows; ++i)
      for (std::size_t v = 0; v < w; v += 16) {
        const std::size_t n = w - v < 16 ? w - v : 16;
        const __mmask16 m = static_cast<__mmask16>((1u << n) - 1);
        const __m512 sum = _mm512_load_ps(acc + i * 32 + v);
        const __m512 b0 = bias ? _mm512_maskz_loadu_ps(m, bias + c0 + v) : _mm512_setzero_ps();
        _mm512_mask_storeu_ps(out + i * ldo + c0 + v, m, _mm512_fmadd_ps(sum, vs, b0));
      }
  }
  _tile_release();
}

#undef DLFS_STEP

}  // namespace dlfs::amx

#else  // no AMX kernels off x86-64 Linux: available() is false and nothing else is called

namespace dlfs::amx {
bool available() { return false; }
void pack_b(const float*, std::size_t, std::size_t, std::size_t, std::uint16_t*) {
  throw std::logic_error("AMX kernels need x86-64 Linux");
}
void pack_rows(const std::uint8_t* const*, std::size_t, std::size_t, bool, std::size_t, std::uint16_t*, std::size_t) {
  throw std::logic_error("AMX kernels need x86-64 Linux");
}
void pack_block_transposed(const std::uint8_t* const*, std::size_t, std::size_t, std::uint16_t*, std::size_t,
                           std::size_t) {
  throw std::logic_error("AMX kernels need x86-64 Linux");
}
void product(const std::uint16_t*, std::size_t, std::size_t, const std::uint16_t*, std::size_t, const float*, float,
             float*, std::size_t) {
  throw std::logic_error("AMX kernels need x86-64 Linux");
}
}  // namespace dlfs::amx

#endif
