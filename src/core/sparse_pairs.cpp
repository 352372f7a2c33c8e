// The paired-row kernels (see sparse_pairs.hpp). Built for plain x86-64 like the rest of the
// library; the instructions are enabled per function, and SparseRows uses the paired layout only
// where the CPU has AVX2 and FMA.
#include "sparse_pairs.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

namespace dlfs::pairs {

namespace {

// For each 8-bit mask of kept lanes, the kept lanes in order (the rest 0): permuting a vector by
// this row packs its kept lanes to the front, and the row plus the group's first column is the
// packed column indices.
struct PackTable {
  alignas(32) std::uint32_t lane[256][8];
};
const PackTable g_pack = [] {
  PackTable t{};
  for (unsigned m = 0; m < 256; ++m)
    for (unsigned bit = 0, n = 0; bit < 8; ++bit)
      if (m >> bit & 1u) t.lane[m][n++] = bit;
  return t;
}();

// Packs the lanes m of va and vb (columns g..g+7) and stores them interleaved (a, b, a, b, ...).
__attribute__((target("avx2"))) inline std::size_t pack_pair(__m256 va, __m256 vb, unsigned m, std::size_t g,
                                                             std::uint32_t* idx, float* val) {
  const __m256i perm = _mm256_load_si256(reinterpret_cast<const __m256i*>(g_pack.lane[m]));
  const __m256 pa = _mm256_permutevar8x32_ps(va, perm), pb = _mm256_permutevar8x32_ps(vb, perm);
  const __m256 lo = _mm256_unpacklo_ps(pa, pb), hi = _mm256_unpackhi_ps(pa, pb);  // a0 b0 a1 b1 | a4 b4 a5 b5 ...
  _mm256_storeu_ps(val, _mm256_permute2f128_ps(lo, hi, 0x20));
  _mm256_storeu_ps(val + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(idx), _mm256_add_epi32(perm, _mm256_set1_epi32(int(g))));
  return static_cast<std::size_t>(__builtin_popcount(m));
}

__attribute__((target("avx2"))) inline __m256 bytes8(const std::uint8_t* p, __m256 scale) {
  return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)))),
                       scale);
}

// Two floats in the low half of a vector: one 64-bit load with no alignment requirement
// (_mm_load_sd would dereference a double* that is only float-aligned).
__attribute__((target("avx2"))) inline __m128 load2(const float* p) {
  return _mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}

// Both values of a union entry in one 64-bit load, broadcast from the register: on Zen 1 a
// broadcast from memory per value made the pair kernels 20% slower.
__attribute__((target("avx2"))) inline __m128 pair_values(const float* v) { return load2(v); }

__attribute__((target("avx2"))) inline __m256i lane_mask(unsigned lanes) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(lanes)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// A column block of a pair: NV full 8-float vectors, then a tail of `lanes` < 8 columns kept as
// TAIL: 0 none, 2 exactly two lanes (one 64-bit load), 4 up to four (masked 128-bit), 8 five to
// seven (masked 256-bit). 2 x NV accumulators stay in registers (NV <= 4).
template <int NV, int TAIL, bool PREFETCH = true>
__attribute__((target("avx2,fma"))) void affine_block(const std::uint32_t* idx, const float* val, std::size_t n,
                                                      const float* W, std::size_t ldw, const float* bias,
                                                      const float* bias_b, float* oa, float* ob, unsigned lanes) {
  constexpr int NA = NV > 0 ? NV : 1;
  __m256 a[NA], c[NA];
  const __m256i m8 = lane_mask(lanes);
  const __m128i m4 = _mm256_castsi256_si128(m8);
  __m256 ta = _mm256_setzero_ps(), tc = ta;
  __m128 ua = _mm_setzero_ps(), uc = ua;
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) {
    a[v] = bias ? _mm256_loadu_ps(bias + 8 * v) : _mm256_setzero_ps();
    c[v] = bias_b ? _mm256_loadu_ps(bias_b + 8 * v) : _mm256_setzero_ps();
  }
  if (bias) {
    if (TAIL == 8) ta = _mm256_maskload_ps(bias + 8 * NV, m8);
    if (TAIL == 4) ua = _mm_maskload_ps(bias + 8 * NV, m4);
    if (TAIL == 2) ua = load2(bias + 8 * NV);
  }
  if (bias_b) {
    if (TAIL == 8) tc = _mm256_maskload_ps(bias_b + 8 * NV, m8);
    if (TAIL == 4) uc = _mm_maskload_ps(bias_b + 8 * NV, m4);
    if (TAIL == 2) uc = load2(bias_b + 8 * NV);
  }
  constexpr int kWidth = 8 * NV + TAIL;  // floats of the block (at least; TAIL lanes may be fewer)
  for (std::size_t u = 0; u < n; ++u) {
    // The block of the W row a few entries ahead, both ends (W rows come from L2: 784 x 50
    // floats are 157 KB); the index is clamped, so only listed rows are touched.
    if (PREFETCH) {
      const float* ahead = W + std::size_t(idx[u + 6 < n ? u + 6 : n - 1]) * ldw;
      _mm_prefetch(reinterpret_cast<const char*>(ahead), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(ahead + kWidth - 1), _MM_HINT_T0);
    }
    const float* w = W + std::size_t(idx[u]) * ldw;
    const __m128 both = pair_values(val + 2 * u);
    const __m256 xa = _mm256_broadcastss_ps(both), xc = _mm256_broadcastss_ps(_mm_movehdup_ps(both));
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const __m256 t = _mm256_loadu_ps(w + 8 * v);
      a[v] = _mm256_fmadd_ps(xa, t, a[v]);
      c[v] = _mm256_fmadd_ps(xc, t, c[v]);
    }
    if (TAIL == 8) {
      const __m256 t = _mm256_maskload_ps(w + 8 * NV, m8);
      ta = _mm256_fmadd_ps(xa, t, ta);
      tc = _mm256_fmadd_ps(xc, t, tc);
    }
    if (TAIL == 4 || TAIL == 2) {
      const __m128 t = TAIL == 4 ? _mm_maskload_ps(w + 8 * NV, m4)
                                 : load2(w + 8 * NV);
      ua = _mm_fmadd_ps(_mm256_castps256_ps128(xa), t, ua);
      uc = _mm_fmadd_ps(_mm256_castps256_ps128(xc), t, uc);
    }
  }
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) {
    _mm256_storeu_ps(oa + 8 * v, a[v]);
    _mm256_storeu_ps(ob + 8 * v, c[v]);
  }
  if (TAIL == 8) {
    _mm256_maskstore_ps(oa + 8 * NV, m8, ta);
    _mm256_maskstore_ps(ob + 8 * NV, m8, tc);
  }
  if (TAIL == 4) {
    _mm_maskstore_ps(oa + 8 * NV, m4, ua);
    _mm_maskstore_ps(ob + 8 * NV, m4, uc);
  }
  if (TAIL == 2) {
    _mm_storel_pi(reinterpret_cast<__m64*>(oa + 8 * NV), ua);
    _mm_storel_pi(reinterpret_cast<__m64*>(ob + 8 * NV), uc);
  }
}

// dW rows of a column block: the pair's dout rows stay in registers, each listed dW row is read,
// updated with row a's term then row b's, and written back.
template <int NV, int TAIL>
__attribute__((target("avx2,fma"))) void grad_block(const std::uint32_t* idx, const float* val, std::size_t n,
                                                    const float* da, const float* db, std::size_t ldw, float* dW,
                                                    unsigned lanes) {
  constexpr int NA = NV > 0 ? NV : 1;
  __m256 ga[NA], gb[NA];
  const __m256i m8 = lane_mask(lanes);
  const __m128i m4 = _mm256_castsi256_si128(m8);
  __m256 ta = _mm256_setzero_ps(), tb = ta;
  __m128 ua = _mm_setzero_ps(), ub = ua;
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) {
    ga[v] = _mm256_loadu_ps(da + 8 * v);
    gb[v] = _mm256_loadu_ps(db + 8 * v);
  }
  if (TAIL == 8) ta = _mm256_maskload_ps(da + 8 * NV, m8), tb = _mm256_maskload_ps(db + 8 * NV, m8);
  if (TAIL == 4) ua = _mm_maskload_ps(da + 8 * NV, m4), ub = _mm_maskload_ps(db + 8 * NV, m4);
  if (TAIL == 2) {
    ua = load2(da + 8 * NV);
    ub = load2(db + 8 * NV);
  }
  for (std::size_t u = 0; u < n; ++u) {
    float* w = dW + std::size_t(idx[u]) * ldw;
    const __m128 both = pair_values(val + 2 * u);
    const __m256 xa = _mm256_broadcastss_ps(both), xb = _mm256_broadcastss_ps(_mm_movehdup_ps(both));
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v)
      _mm256_storeu_ps(w + 8 * v, _mm256_fmadd_ps(xb, gb[v], _mm256_fmadd_ps(xa, ga[v], _mm256_loadu_ps(w + 8 * v))));
    if (TAIL == 8)
      _mm256_maskstore_ps(w + 8 * NV, m8,
                          _mm256_fmadd_ps(xb, tb, _mm256_fmadd_ps(xa, ta, _mm256_maskload_ps(w + 8 * NV, m8))));
    if (TAIL == 4)
      _mm_maskstore_ps(w + 8 * NV, m4,
                       _mm_fmadd_ps(_mm256_castps256_ps128(xb), ub,
                                    _mm_fmadd_ps(_mm256_castps256_ps128(xa), ua, _mm_maskload_ps(w + 8 * NV, m4))));
    if (TAIL == 2) {
      const __m128 old = load2(w + 8 * NV);
      _mm_storel_pi(reinterpret_cast<__m64*>(w + 8 * NV),
                    _mm_fmadd_ps(_mm256_castps256_ps128(xb), ub, _mm_fmadd_ps(_mm256_castps256_ps128(xa), ua, old)));
    }
  }
}

// The one-row form of grad_block: rows idx[u] of `out` get val[2u] times the block of w (kept in
// registers) added, for entries whose other value is 0.
template <int NV, int TAIL>
__attribute__((target("avx2,fma"))) void add_block(const std::uint32_t* idx, const float* val, std::size_t n,
                                                   const float* w, std::size_t ldo, float* out, unsigned lanes) {
  constexpr int NA = NV > 0 ? NV : 1;
  __m256 g[NA];
  const __m256i m8 = lane_mask(lanes);
  const __m128i m4 = _mm256_castsi256_si128(m8);
  __m256 t = _mm256_setzero_ps();
  __m128 q = _mm_setzero_ps();
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) g[v] = _mm256_loadu_ps(w + 8 * v);
  if (TAIL == 8) t = _mm256_maskload_ps(w + 8 * NV, m8);
  if (TAIL == 4) q = _mm_maskload_ps(w + 8 * NV, m4);
  if (TAIL == 2) q = load2(w + 8 * NV);
  for (std::size_t u = 0; u < n; ++u) {
    float* o = out + std::size_t(idx[u]) * ldo;
    const __m256 x = _mm256_broadcast_ss(val + 2 * u);
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) _mm256_storeu_ps(o + 8 * v, _mm256_fmadd_ps(x, g[v], _mm256_loadu_ps(o + 8 * v)));
    if (TAIL == 8) _mm256_maskstore_ps(o + 8 * NV, m8, _mm256_fmadd_ps(x, t, _mm256_maskload_ps(o + 8 * NV, m8)));
    if (TAIL == 4)
      _mm_maskstore_ps(o + 8 * NV, m4, _mm_fmadd_ps(_mm256_castps256_ps128(x), q, _mm_maskload_ps(o + 8 * NV, m4)));
    if (TAIL == 2)
      _mm_storel_pi(reinterpret_cast<__m64*>(o + 8 * NV),
                    _mm_fmadd_ps(_mm256_castps256_ps128(x), q, load2(o + 8 * NV)));
  }
}

// Calls f.template operator()<NV, TAIL>(c0, lanes) for column blocks of up to 32.
template <class F>
void for_blocks(std::size_t M, F&& f) {
  for (std::size_t c0 = 0; c0 < M; c0 += 32) {
    const std::size_t w = M - c0 < 32 ? M - c0 : 32;
    const unsigned nv = static_cast<unsigned>(w / 8), lanes = static_cast<unsigned>(w % 8);
    const int tail = lanes == 0 ? 0 : lanes == 2 ? 2 : lanes <= 4 ? 4 : 8;
#define DLFS_TAILS(NV)                                     \
  switch (tail) {                                          \
    case 0: f.template operator()<NV, 0>(c0, lanes); break; \
    case 2: f.template operator()<NV, 2>(c0, lanes); break; \
    case 4: f.template operator()<NV, 4>(c0, lanes); break; \
    default: f.template operator()<NV, 8>(c0, lanes); break; \
  }
    switch (nv) {
      case 0: DLFS_TAILS(0) break;
      case 1: DLFS_TAILS(1) break;
      case 2: DLFS_TAILS(2) break;
      case 3: DLFS_TAILS(3) break;
      default: f.template operator()<4, 0>(c0, 0); break;
    }
#undef DLFS_TAILS
  }
}

}  // namespace

const std::uint32_t* pack_lanes(unsigned mask) { return g_pack.lane[mask & 0xFFu]; }

__attribute__((target("avx2,popcnt"))) std::size_t compress_bytes(const std::uint8_t* a, const std::uint8_t* b,
                                                                  std::size_t cols, float scale, std::uint32_t* idx,
                                                                  float* val) {
  const __m256 s = _mm256_set1_ps(scale), zero = _mm256_setzero_ps();
  std::size_t n = 0, j = 0;
  // 32 pixels of both rows tested at once (digits have blank borders), then groups of 8.
  for (; j + 32 <= cols; j += 32) {
    __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + j));
    if (b) v = _mm256_or_si256(v, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + j)));
    const unsigned nz = ~static_cast<unsigned>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_setzero_si256())));
    if (!nz) continue;
    for (unsigned q = 0; q < 4; ++q) {
      const unsigned m = nz >> (8 * q) & 0xFFu;
      const std::size_t g = j + 8 * q;
      if (m) n += pack_pair(bytes8(a + g, s), b ? bytes8(b + g, s) : zero, m, g, idx + n, val + 2 * n);
    }
  }
  for (; j + 8 <= cols; j += 8) {
    __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(a + j));
    if (b) v = _mm_or_si128(v, _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b + j)));
    const unsigned m = ~static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_setzero_si128()))) & 0xFFu;
    if (m) n += pack_pair(bytes8(a + j, s), b ? bytes8(b + j, s) : zero, m, j, idx + n, val + 2 * n);
  }
  for (; j < cols; ++j) {  // the last < 8 columns, so no load reads past a row
    const std::uint8_t xb = b ? b[j] : 0;
    idx[n] = static_cast<std::uint32_t>(j);
    val[2 * n] = float(a[j]) * scale;
    val[2 * n + 1] = float(xb) * scale;
    n += (a[j] | xb) != 0;
  }
  return n;
}

__attribute__((target("avx2,popcnt"))) std::size_t compress_floats(const float* a, const float* b, std::size_t cols,
                                                                   std::uint32_t* idx, float* val) {
  const __m256 zero = _mm256_setzero_ps();
  std::size_t n = 0, j = 0;
  for (; j + 8 <= cols; j += 8) {
    const __m256 va = _mm256_loadu_ps(a + j), vb = b ? _mm256_loadu_ps(b + j) : zero;
    // NEQ_UQ: NaN compares "not equal", so it is kept.
    const unsigned m = static_cast<unsigned>(_mm256_movemask_ps(
        _mm256_or_ps(_mm256_cmp_ps(va, zero, _CMP_NEQ_UQ), _mm256_cmp_ps(vb, zero, _CMP_NEQ_UQ))));
    if (m) n += pack_pair(va, vb, m, j, idx + n, val + 2 * n);
  }
  for (; j < cols; ++j) {
    const float xb = b ? b[j] : 0.0f;
    idx[n] = static_cast<std::uint32_t>(j);
    val[2 * n] = a[j];
    val[2 * n + 1] = xb;
    n += (a[j] != 0.0f) | (xb != 0.0f);
  }
  return n;
}

void affine(const std::uint32_t* idx, const float* val, std::size_t n, const float* W, const float* bias,
            std::size_t M, float* out_a, float* out_b) {
  for_blocks(M, [&]<int NV, int TAIL>(std::size_t c0, unsigned lanes) {
    const float* b = bias ? bias + c0 : nullptr;
    affine_block<NV, TAIL>(idx, val, n, W + c0, M, b, b, out_a + c0, out_b + c0, lanes);
  });
}

// (W here is a block's dout rows, a few KB that stay in L1: no prefetch.)
void affine(const std::uint32_t* idx, const float* val, std::size_t n, const float* W, const float* bias_a,
            const float* bias_b, std::size_t M, float* out_a, float* out_b) {
  for_blocks(M, [&]<int NV, int TAIL>(std::size_t c0, unsigned lanes) {
    affine_block<NV, TAIL, false>(idx, val, n, W + c0, M, bias_a ? bias_a + c0 : nullptr,
                                  bias_b ? bias_b + c0 : nullptr, out_a + c0, out_b + c0, lanes);
  });
}

void add_rows(const std::uint32_t* idx, const float* val, std::size_t n, const float* w, std::size_t M, float* out) {
  for_blocks(M, [&]<int NV, int TAIL>(std::size_t c0, unsigned lanes) {
    add_block<NV, TAIL>(idx, val, n, w + c0, M, out + c0, lanes);
  });
}

namespace {
const std::uint8_t g_zero_bytes[16] = {};
}

// 16 x 16 blocks through registers (four rounds of unpacks: bytes, words, dwords, qwords); rows
// past n read a zero row, so the padding up to ld comes out 0.
__attribute__((target("avx2"))) void transpose_bytes(const std::uint8_t* const* rows, std::size_t n,
                                                     std::size_t cols, std::uint8_t* out, std::size_t ld) {
  // A batch's rows are random rows of the set, touched here first: a group of 16 rows is
  // transposed while the next group's rows are prefetched.
  auto prefetch_group = [&](std::size_t g0, std::size_t k) {
    for (std::size_t i = g0; i < g0 + 16 && i < n; ++i) _mm_prefetch(reinterpret_cast<const char*>(rows[i] + k), _MM_HINT_T0);
  };
  for (std::size_t k = 0; k < cols; k += 64) prefetch_group(0, k);
  const std::size_t full = cols / 16 * 16;
  for (std::size_t r0 = 0; r0 < ld; r0 += 16) {
    for (std::size_t k = 0; k < full; k += 16) {
      if (k % 64 == 0) prefetch_group(r0 + 16, k);
      __m128i x[16], y[16];
      for (int i = 0; i < 16; ++i)
        x[i] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(r0 + i < n ? rows[r0 + i] + k : g_zero_bytes));
      for (int i = 0; i < 8; ++i) {  // y[2i], y[2i + 1]: columns 0-7, 8-15 of rows 2i, 2i + 1
        y[2 * i] = _mm_unpacklo_epi8(x[2 * i], x[2 * i + 1]);
        y[2 * i + 1] = _mm_unpackhi_epi8(x[2 * i], x[2 * i + 1]);
      }
      for (int i = 0; i < 4; ++i)  // x[4i + j]: columns 4j..4j+3 of rows 4i..4i+3
        for (int h = 0; h < 2; ++h) {
          x[4 * i + 2 * h] = _mm_unpacklo_epi16(y[4 * i + h], y[4 * i + 2 + h]);
          x[4 * i + 2 * h + 1] = _mm_unpackhi_epi16(y[4 * i + h], y[4 * i + 2 + h]);
        }
      for (int i = 0; i < 2; ++i)  // y[8i + j]: columns 2j, 2j+1 of rows 8i..8i+7
        for (int h = 0; h < 4; ++h) {
          y[8 * i + 2 * h] = _mm_unpacklo_epi32(x[8 * i + h], x[8 * i + 4 + h]);
          y[8 * i + 2 * h + 1] = _mm_unpackhi_epi32(x[8 * i + h], x[8 * i + 4 + h]);
        }
      for (int c = 0; c < 8; ++c) {  // columns 2c, 2c + 1 of rows r0..r0+15
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + (k + 2 * c) * ld + r0), _mm_unpacklo_epi64(y[c], y[8 + c]));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + (k + 2 * c + 1) * ld + r0),
                         _mm_unpackhi_epi64(y[c], y[8 + c]));
      }
    }
  }
  for (std::size_t k = full; k < cols; ++k)
    for (std::size_t i = 0; i < ld; ++i) out[k * ld + i] = i < n ? rows[i][k] : 0;
}

// A column of a batch is mostly zeros with scattered non-zeros, so each one is taken out by its
// bit (packing 8 lanes at a time, as compress_bytes does along rows, cost more here).
__attribute__((target("avx2,bmi"))) std::size_t compress_column_pair(const std::uint8_t* a, const std::uint8_t* b,
                                                                      std::size_t ld, const float* value_of,
                                                                      std::uint32_t row0, std::uint32_t* idx, float* val) {
  std::size_t n = 0;
  for (std::size_t j = 0; j < ld; j += 32) {
    __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + j));
    if (b) v = _mm256_or_si256(v, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + j)));
    unsigned m = ~static_cast<unsigned>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_setzero_si256())));
    while (m) {
      const std::size_t i = j + static_cast<std::size_t>(__builtin_ctz(m));
      m &= m - 1;
      idx[n] = row0 + static_cast<std::uint32_t>(i);
      val[2 * n] = value_of[a[i]];
      val[2 * n + 1] = b ? value_of[b[i]] : 0.0f;
      ++n;
    }
  }
  return n;
}

void weight_grad(const std::uint32_t* idx, const float* val, std::size_t n, const float* da, const float* db,
                 std::size_t M, float* dW) {
  for_blocks(M, [&]<int NV, int TAIL>(std::size_t c0, unsigned lanes) {
    grad_block<NV, TAIL>(idx, val, n, da + c0, db + c0, M, dW + c0, lanes);
  });
}

}  // namespace dlfs::pairs

#else  // not x86-64 with GCC/Clang: the paired layout is never chosen there

#include <stdexcept>

namespace dlfs::pairs {
const std::uint32_t* pack_lanes(unsigned) { throw std::logic_error("paired sparse kernels need x86-64 AVX2"); }
std::size_t compress_bytes(const std::uint8_t*, const std::uint8_t*, std::size_t, float, std::uint32_t*, float*) {
  throw std::logic_error("paired sparse kernels need x86-64 AVX2");
}
std::size_t compress_floats(const float*, const float*, std::size_t, std::uint32_t*, float*) {
  throw std::logic_error("paired sparse kernels need x86-64 AVX2");
}
void affine(const std::uint32_t*, const float*, std::size_t, const float*, const float*, std::size_t, float*, float*) {
  throw std::logic_error("paired sparse kernels need x86-64 AVX2");
}
void affine(const std::uint32_t*, const float*, std::size_t, const float*, const float*, const float*, std::size_t,
            float*, float*) {
  throw std::logic_error("paired sparse kernels need x86-64 AVX2");
}
void add_rows(const std::uint32_t*, const float*, std::size_t, const float*, std::size_t, float*) {
  throw std::logic_error("paired sparse kernels need x86-64 AVX2");
}
void transpose_bytes(const std::uint8_t* const*, std::size_t, std::size_t, std::uint8_t*, std::size_t) {
  throw std::logic_error("paired sparse kernels need x86-64 AVX2");
}
std::size_t compress_column_pair(const std::uint8_t*, const std::uint8_t*, std::size_t, const float*, std::uint32_t,
                                 std::uint32_t*, float*) {
  throw std::logic_error("paired sparse kernels need x86-64 AVX2");
}
void weight_grad(const std::uint32_t*, const float*, std::size_t, const float*, const float*, std::size_t, float*) {
  throw std::logic_error("paired sparse kernels need x86-64 AVX2");
}
}  // namespace dlfs::pairs

#endif
