// Row-sparse kernels (see sparse.hpp). float has hand-vectorised AVX-512 and AVX2 versions chosen
// at run time (the library is built for plain x86-64, so the instructions are enabled per function
// with target attributes); double and CPUs without AVX2 use the plain loops, which compute the
// same sums in the same order (the vector versions round once per multiply-add, fused).
#include "dlfs/sparse.hpp"

#include "amx.hpp"
#include "sparse_pairs.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define DLFS_X86 1
#endif

namespace dlfs {

namespace {

// Extra room after each thread's range of rows: the vector compress writes whole vectors.
constexpr std::size_t kSlack = 16;

// Amx: the AVX-512 kernels for the sparse layouts, AMX for the Tiles layout.
enum class Isa { Plain, Avx2, Avx512, Amx };

Isa detect_isa() {
#ifdef DLFS_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return amx::available() ? Isa::Amx : Isa::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::Avx2;
#endif
  return Isa::Plain;
}

const Isa g_best_isa = detect_isa();
#ifdef DLFS_X86
const bool g_avx512vl = g_best_isa >= Isa::Avx512 && __builtin_cpu_supports("avx512vl");
#endif
// The kernel set a name selects ("best": this CPU's), or false for an unknown name.
bool isa_named(const std::string& name, Isa& isa) {
  if (name == "amx") isa = Isa::Amx;
  else if (name == "avx512") isa = Isa::Avx512;
  else if (name == "avx2") isa = Isa::Avx2;
  else if (name == "plain") isa = Isa::Plain;
  else if (name == "best") isa = g_best_isa;
  else return false;
  return true;
}

// DLFS_SPARSE_KERNELS (a name of set_sparse_kernels: avx512, avx2, plain...) picks slower kernels
// than the CPU's best, for benchmarks that compare them; an unknown or unavailable name keeps the
// best.
Isa initial_isa() {
  const char* env = std::getenv("DLFS_SPARSE_KERNELS");
  Isa want = g_best_isa;
  return env && isa_named(env, want) && want <= g_best_isa ? want : g_best_isa;
}
Isa g_isa = initial_isa();

// ---- plain loops: the reference the vector versions must match term for term ----

template <class T>
std::size_t compress_plain(const T* x, std::size_t cols, std::uint32_t* idx, T* val) {
  std::size_t n = 0;
  for (std::size_t j = 0; j < cols; ++j) {
    // Written unconditionally and kept only when non-zero: no branch to mispredict.
    idx[n] = static_cast<std::uint32_t>(j);
    val[n] = x[j];
    n += x[j] != T(0);  // NaN != 0, so NaN inputs still poison the result as in the GEMM
  }
  return n;
}

template <class T>
std::size_t compress_bytes_plain(const std::uint8_t* x, std::size_t cols, T scale, std::uint32_t* idx, T* val) {
  std::size_t n = 0;
  for (std::size_t j = 0; j < cols; ++j) {
    idx[n] = static_cast<std::uint32_t>(j);
    val[n] = T(x[j]) * scale;
    n += x[j] != 0;
  }
  return n;
}

template <class T>
void affine_row_plain(const std::uint32_t* idx, const T* val, std::size_t n, const T* W, const T* b,
                      std::size_t M, T* out) {
  for (std::size_t m = 0; m < M; ++m) out[m] = b ? b[m] : T(0);
  for (std::size_t i = 0; i < n; ++i) {
    const T* w = W + std::size_t(idx[i]) * M;
    const T v = val[i];
    for (std::size_t m = 0; m < M; ++m) out[m] += v * w[m];
  }
}

#ifdef DLFS_X86

// ---- AVX-512: 16 floats a vector; up to 8 vectors (128 columns) of out or dout in registers ----

__attribute__((target("avx512f,popcnt"))) std::size_t compress_avx512(const float* x, std::size_t cols,
                                                                      std::uint32_t* idx, float* val) {
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512 zero = _mm512_setzero_ps();
  std::size_t n = 0;
  for (std::size_t j = 0; j < cols; j += 16) {
    const __mmask16 in = cols - j >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (cols - j)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(in, x + j);
    // NEQ_UQ: NaN compares "not equal", so it is kept.
    const __mmask16 nz = _mm512_mask_cmp_ps_mask(in, v, zero, _CMP_NEQ_UQ);
    // Compress in registers and store whole vectors (a compressing store to memory is slow on
    // some CPUs); the next store overwrites the unused tail.
    _mm512_storeu_ps(val + n, _mm512_maskz_compress_ps(nz, v));
    _mm512_storeu_si512(idx + n, _mm512_maskz_compress_epi32(nz, _mm512_add_epi32(iota, _mm512_set1_epi32(int(j)))));
    n += static_cast<std::size_t>(__builtin_popcount(nz));
  }
  return n;
}

// 16 pixels at a time: widen to int32, convert, scale (the same single rounding as the scalar
// float(byte) * scale), keep the non-zeros. The tail shorter than 16 bytes goes through the plain
// loop, so no load reads past the row.
__attribute__((target("avx512f,popcnt"))) std::size_t compress_bytes_avx512(const std::uint8_t* x, std::size_t cols,
                                                                            float scale, std::uint32_t* idx,
                                                                            float* val) {
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512 s = _mm512_set1_ps(scale);
  std::size_t n = 0, j = 0;
  for (; j + 16 <= cols; j += 16) {
    const __m512i b = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + j)));
    const __mmask16 nz = _mm512_test_epi32_mask(b, b);
    if (!nz) continue;  // MNIST rows start and end with blank lines
    const __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(b), s);
    _mm512_storeu_ps(val + n, _mm512_maskz_compress_ps(nz, v));
    _mm512_storeu_si512(idx + n, _mm512_maskz_compress_epi32(nz, _mm512_add_epi32(iota, _mm512_set1_epi32(int(j)))));
    n += static_cast<std::size_t>(__builtin_popcount(nz));
  }
  for (; j < cols; ++j) {
    idx[n] = static_cast<std::uint32_t>(j);
    val[n] = float(x[j]) * scale;
    n += x[j] != 0;
  }
  return n;
}

template <int NV>
__attribute__((target("avx512f"))) void affine_block_avx512(const std::uint32_t* idx, const float* val,
                                                            std::size_t n, const float* W, std::size_t ldw,
                                                            const float* b, float* out, __mmask16 tail) {
  __m512 acc[NV];
  #pragma GCC unroll 8
  for (int v = 0; v < NV; ++v) {
    const __mmask16 m = v == NV - 1 ? tail : __mmask16(0xFFFF);
    acc[v] = b ? _mm512_maskz_loadu_ps(m, b + 16 * v) : _mm512_setzero_ps();
  }
  for (std::size_t i = 0; i < n; ++i) {
    const float* w = W + std::size_t(idx[i]) * ldw;
    const __m512 x = _mm512_set1_ps(val[i]);
    #pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      const __mmask16 m = v == NV - 1 ? tail : __mmask16(0xFFFF);
      acc[v] = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(m, w + 16 * v), acc[v]);
    }
  }
  #pragma GCC unroll 8
  for (int v = 0; v < NV; ++v) _mm512_mask_storeu_ps(out + 16 * v, v == NV - 1 ? tail : __mmask16(0xFFFF), acc[v]);
}

// Two independent sums at once: out_a = b + sum_i val_a[i] W[idx_a[i], :] and the same for b.
// One stream has only NF chains of dependent FMAs (latency 4, two FMA units: a quarter of the
// machine); interleaving two rows (or two columns of dW) doubles that, and each sum still adds
// its terms in its own order, so the results are those of the one-stream kernel bit for bit.
// NF 16-float vectors, the last one masked to `tail` unless H; with H, one more 8-float vector
// masked to `tail` (a hidden layer of 50 is 3 x 16 + 2: a 256-bit FMA for the last 2 columns
// costs half of a 512-bit one on CPUs that split 512-bit operations, such as AMD Zen 4).
template <int NF, bool H>
__attribute__((target("avx512f,avx512vl,fma"))) void pair_block_avx512(
    const std::uint32_t* idx_a, const float* val_a, std::size_t n_a, const std::uint32_t* idx_b, const float* val_b,
    std::size_t n_b, const float* W, std::size_t ldw, const float* b, float* out_a, float* out_b, __mmask16 tail) {
  constexpr int NA = NF > 0 ? NF : 1;
  __m512 a[NA], c[NA];
  __m256 ha = _mm256_setzero_ps(), hc = _mm256_setzero_ps();
  const __mmask8 t8 = __mmask8(tail & 0xFF);
  auto mask = [&](int v) { return !H && v == NF - 1 ? tail : __mmask16(0xFFFF); };
#pragma GCC unroll 8
  for (int v = 0; v < NF; ++v) a[v] = c[v] = b ? _mm512_maskz_loadu_ps(mask(v), b + 16 * v) : _mm512_setzero_ps();
  if (H && b) ha = hc = _mm256_maskz_loadu_ps(t8, b + 16 * NF);
  const std::size_t n = std::min(n_a, n_b);
  for (std::size_t i = 0; i < n; ++i) {
    const float* wa = W + std::size_t(idx_a[i]) * ldw;
    const float* wc = W + std::size_t(idx_b[i]) * ldw;
    const __m512 xa = _mm512_set1_ps(val_a[i]), xc = _mm512_set1_ps(val_b[i]);
#pragma GCC unroll 8
    for (int v = 0; v < NF; ++v) {
      a[v] = _mm512_fmadd_ps(xa, _mm512_maskz_loadu_ps(mask(v), wa + 16 * v), a[v]);
      c[v] = _mm512_fmadd_ps(xc, _mm512_maskz_loadu_ps(mask(v), wc + 16 * v), c[v]);
    }
    if (H) {
      ha = _mm256_fmadd_ps(_mm512_castps512_ps256(xa), _mm256_maskz_loadu_ps(t8, wa + 16 * NF), ha);
      hc = _mm256_fmadd_ps(_mm512_castps512_ps256(xc), _mm256_maskz_loadu_ps(t8, wc + 16 * NF), hc);
    }
  }
  for (std::size_t i = n; i < n_a; ++i) {
    const float* wa = W + std::size_t(idx_a[i]) * ldw;
    const __m512 xa = _mm512_set1_ps(val_a[i]);
#pragma GCC unroll 8
    for (int v = 0; v < NF; ++v) a[v] = _mm512_fmadd_ps(xa, _mm512_maskz_loadu_ps(mask(v), wa + 16 * v), a[v]);
    if (H) ha = _mm256_fmadd_ps(_mm512_castps512_ps256(xa), _mm256_maskz_loadu_ps(t8, wa + 16 * NF), ha);
  }
  for (std::size_t i = n; i < n_b; ++i) {
    const float* wc = W + std::size_t(idx_b[i]) * ldw;
    const __m512 xc = _mm512_set1_ps(val_b[i]);
#pragma GCC unroll 8
    for (int v = 0; v < NF; ++v) c[v] = _mm512_fmadd_ps(xc, _mm512_maskz_loadu_ps(mask(v), wc + 16 * v), c[v]);
    if (H) hc = _mm256_fmadd_ps(_mm512_castps512_ps256(xc), _mm256_maskz_loadu_ps(t8, wc + 16 * NF), hc);
  }
#pragma GCC unroll 8
  for (int v = 0; v < NF; ++v) {
    _mm512_mask_storeu_ps(out_a + 16 * v, mask(v), a[v]);
    _mm512_mask_storeu_ps(out_b + 16 * v, mask(v), c[v]);
  }
  if (H) {
    _mm256_mask_storeu_ps(out_a + 16 * NF, t8, ha);
    _mm256_mask_storeu_ps(out_b + 16 * NF, t8, hc);
  }
}

// Calls f.template operator()<NV>(tail) for column blocks of up to 8 vectors.
template <int Lanes, class Mask, class F>
void for_blocks(std::size_t M, F&& f) {
  constexpr std::size_t kBlock = 8 * Lanes;
  for (std::size_t c0 = 0; c0 < M; c0 += kBlock) {
    const std::size_t w = std::min(kBlock, M - c0);
    const int nv = static_cast<int>((w + Lanes - 1) / Lanes);
    const std::size_t last = w - std::size_t(nv - 1) * Lanes;  // lanes used in the last vector
    const Mask tail = last == Lanes ? Mask(~Mask(0)) : Mask((Mask(1) << last) - 1);
    switch (nv) {
      case 1: f.template operator()<1>(c0, tail); break;
      case 2: f.template operator()<2>(c0, tail); break;
      case 3: f.template operator()<3>(c0, tail); break;
      case 4: f.template operator()<4>(c0, tail); break;
      case 5: f.template operator()<5>(c0, tail); break;
      case 6: f.template operator()<6>(c0, tail); break;
      case 7: f.template operator()<7>(c0, tail); break;
      default: f.template operator()<8>(c0, tail); break;
    }
  }
}

// ---- AVX2 + FMA: 8 floats a vector, masked tails through maskload/maskstore ----

__attribute__((target("avx2"))) inline __m256i avx2_mask(unsigned bits) {
  const __m256i lane = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(int(bits)), lane), lane);
}

// Keeps the lanes of v (columns j..j+7) set in m, packed: whole 8-lane stores, as the AVX-512
// version (the next group's store overwrites the unused tail).
__attribute__((target("avx2"))) inline std::size_t pack8_avx2(__m256 v, unsigned m, std::size_t j, std::uint32_t* idx,
                                                              float* val) {
  const __m256i perm = _mm256_load_si256(reinterpret_cast<const __m256i*>(pairs::pack_lanes(m)));
  _mm256_storeu_ps(val, _mm256_permutevar8x32_ps(v, perm));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(idx), _mm256_add_epi32(perm, _mm256_set1_epi32(int(j))));
  return static_cast<std::size_t>(__builtin_popcount(m));
}

__attribute__((target("avx2,popcnt"))) std::size_t compress_avx2(const float* x, std::size_t cols, std::uint32_t* idx,
                                                                 float* val) {
  std::size_t n = 0, j = 0;
  for (; j + 8 <= cols; j += 8) {
    const __m256 v = _mm256_loadu_ps(x + j);
    // NEQ_UQ: NaN compares "not equal", so it is kept.
    const unsigned m = static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_NEQ_UQ)));
    if (m) n += pack8_avx2(v, m, j, idx + n, val + n);
  }
  for (; j < cols; ++j) {
    idx[n] = static_cast<std::uint32_t>(j);
    val[n] = x[j];
    n += x[j] != 0.0f;
  }
  return n;
}

// 32 pixels tested at once (MNIST rows start and end with blank lines), then each group of 8 with
// a non-zero widened, converted and scaled (the scalar float(byte) * scale, rounded once) and
// packed. The tail shorter than 8 bytes goes through the plain loop, so no load reads past the row.
__attribute__((target("avx2,popcnt"))) std::size_t compress_bytes_avx2(const std::uint8_t* x, std::size_t cols,
                                                                       float scale, std::uint32_t* idx, float* val) {
  const __m256 s = _mm256_set1_ps(scale);
  std::size_t n = 0, j = 0;
#define DLFS_GROUP(g, m)                                                                               \
  n += pack8_avx2(_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(                              \
                                    _mm_loadl_epi64(reinterpret_cast<const __m128i*>(x + (g))))), s), \
                  (m), (g), idx + n, val + n)
  for (; j + 32 <= cols; j += 32) {
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + j));
    const unsigned nz = ~static_cast<unsigned>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, _mm256_setzero_si256())));
    if (!nz) continue;
    for (unsigned q = 0; q < 4; ++q)
      if (const unsigned m = nz >> (8 * q) & 0xFFu) DLFS_GROUP(j + 8 * q, m);
  }
  for (; j + 8 <= cols; j += 8) {
    const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(x + j));
    const unsigned m = ~static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(b, _mm_setzero_si128()))) & 0xFFu;
    if (m) DLFS_GROUP(j, m);
  }
#undef DLFS_GROUP
  for (; j < cols; ++j) {
    idx[n] = static_cast<std::uint32_t>(j);
    val[n] = float(x[j]) * scale;
    n += x[j] != 0;
  }
  return n;
}

template <int NV>
__attribute__((target("avx2,fma"))) void affine_block_avx2(const std::uint32_t* idx, const float* val, std::size_t n,
                                                           const float* W, std::size_t ldw, const float* b,
                                                           float* out, unsigned tail) {
  const __m256i tm = avx2_mask(tail);
  __m256 acc[NV];
  #pragma GCC unroll 8
  for (int v = 0; v < NV; ++v) {
    if (!b) acc[v] = _mm256_setzero_ps();
    else acc[v] = v == NV - 1 ? _mm256_maskload_ps(b + 8 * v, tm) : _mm256_loadu_ps(b + 8 * v);
  }
  for (std::size_t i = 0; i < n; ++i) {
    const float* w = W + std::size_t(idx[i]) * ldw;
    const __m256 x = _mm256_set1_ps(val[i]);
    #pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      const __m256 wv = v == NV - 1 ? _mm256_maskload_ps(w + 8 * v, tm) : _mm256_loadu_ps(w + 8 * v);
      acc[v] = _mm256_fmadd_ps(x, wv, acc[v]);
    }
  }
  #pragma GCC unroll 8
  for (int v = 0; v < NV - 1; ++v) _mm256_storeu_ps(out + 8 * v, acc[v]);
  _mm256_maskstore_ps(out + 8 * (NV - 1), tm, acc[NV - 1]);
}

#endif  // DLFS_X86

// ---- dispatch ----

template <class T>
std::size_t compress_row(const T* x, std::size_t cols, std::uint32_t* idx, T* val) {
#ifdef DLFS_X86
  if constexpr (std::is_same_v<T, float>) {
    if (g_isa >= Isa::Avx512) return compress_avx512(x, cols, idx, val);
    if (g_isa == Isa::Avx2) return compress_avx2(x, cols, idx, val);
  }
#endif
  return compress_plain(x, cols, idx, val);
}

template <class T>
std::size_t compress_bytes_row(const std::uint8_t* x, std::size_t cols, T scale, std::uint32_t* idx, T* val) {
#ifdef DLFS_X86
  if constexpr (std::is_same_v<T, float>) {
    if (g_isa >= Isa::Avx512) return compress_bytes_avx512(x, cols, scale, idx, val);
    if (g_isa == Isa::Avx2) return compress_bytes_avx2(x, cols, scale, idx, val);
  }
#endif
  return compress_bytes_plain(x, cols, scale, idx, val);
}

template <class T>
void affine_row(const std::uint32_t* idx, const T* val, std::size_t n, const T* W, const T* b, std::size_t M,
                T* out) {
#ifdef DLFS_X86
  if constexpr (std::is_same_v<T, float>) {
    if (g_isa >= Isa::Avx512) {
      for_blocks<16, __mmask16>(M, [&]<int NV>(std::size_t c0, __mmask16 tail) {
        affine_block_avx512<NV>(idx, val, n, W + c0, M, b ? b + c0 : nullptr, out + c0, tail);
      });
      return;
    }
    if (g_isa == Isa::Avx2) {
      for_blocks<8, unsigned>(M, [&]<int NV>(std::size_t c0, unsigned tail) {
        affine_block_avx2<NV>(idx, val, n, W + c0, M, b ? b + c0 : nullptr, out + c0, tail & 0xFFu);
      });
      return;
    }
  }
#endif
  affine_row_plain(idx, val, n, W, b, M, out);
}

// Two rows of a product (or two columns of dW) at once where the CPU has AVX-512; otherwise one
// after the other. Same results either way.
template <class T>
void pair_rows(const std::uint32_t* idx_a, const T* val_a, std::size_t n_a, const std::uint32_t* idx_b,
               const T* val_b, std::size_t n_b, const T* W, const T* b, std::size_t M, T* out_a, T* out_b) {
#ifdef DLFS_X86
  if constexpr (std::is_same_v<T, float>) {
    if (g_isa >= Isa::Avx512) {
      // Blocks of up to 4 vectors a stream: 2 x 4 accumulators, loads and broadcasts stay in registers.
      constexpr std::size_t kBlock = 64;
      for (std::size_t c0 = 0; c0 < M; c0 += kBlock) {
        const std::size_t w = std::min(kBlock, M - c0);
        const int nv = static_cast<int>((w + 15) / 16);
        const std::size_t last = w - std::size_t(nv - 1) * 16;
        const __mmask16 tail = last == 16 ? __mmask16(0xFFFF) : __mmask16((1u << last) - 1);
        const float* bb = b ? b + c0 : nullptr;
#define DLFS_PAIR(NF, H) \
  pair_block_avx512<NF, H>(idx_a, val_a, n_a, idx_b, val_b, n_b, W + c0, M, bb, out_a + c0, out_b + c0, tail)
        if (last <= 8 && g_avx512vl) {  // the last partial vector as 8 lanes
          switch (nv) {
            case 1: DLFS_PAIR(0, true); break;
            case 2: DLFS_PAIR(1, true); break;
            case 3: DLFS_PAIR(2, true); break;
            default: DLFS_PAIR(3, true); break;
          }
        } else {
          switch (nv) {
            case 1: DLFS_PAIR(1, false); break;
            case 2: DLFS_PAIR(2, false); break;
            case 3: DLFS_PAIR(3, false); break;
            default: DLFS_PAIR(4, false); break;
          }
        }
#undef DLFS_PAIR
      }
      return;
    }
  }
#endif
  affine_row(idx_a, val_a, n_a, W, b, M, out_a);
  affine_row(idx_b, val_b, n_b, W, b, M, out_b);
}

}  // namespace

template <class T>
bool sparse_tiles_preferred() {
#ifdef DLFS_X86
  if constexpr (std::is_same_v<T, float>) return g_isa == Isa::Amx;
#endif
  return false;
}

template <class T>
bool sparse_pairs_preferred() {
#ifdef DLFS_X86
  if constexpr (std::is_same_v<T, float>) return g_isa == Isa::Avx2;
#endif
  return false;
}

template <class T>
void SparseRows<T>::reset(std::size_t rows, std::size_t cols, SparseLayout layout, bool transposed) {
  if (cols > 0xFFFFFFFFu) throw std::invalid_argument("SparseRows: expected at most 2^32-1 columns, got " +
                                                      std::to_string(cols));
  if ((layout == SparseLayout::Pairs || layout == SparseLayout::Columns) &&
      !(std::is_same_v<T, float> && g_best_isa != Isa::Plain))
    throw std::invalid_argument(std::string("SparseRows: the ") +
                                (layout == SparseLayout::Pairs ? "Pairs" : "Columns") +
                                " layout needs float and a CPU with AVX2");
  if (layout == SparseLayout::Tiles && !(std::is_same_v<T, float> && amx::available()))
    throw std::invalid_argument("SparseRows: the Tiles layout needs float and a CPU with AMX-BF16");
  tiles_ = layout == SparseLayout::Tiles;
  if (tiles_) {
    // Dense: no entry lists, only the bf16 rows (and their transpose).
    rows_ = rows;
    cols_ = cols;
    paired_ = columns_ = split_ = false;
    tile_transposed_ = transposed;
    tile_lda_ = amx::padded(cols);
    tile_ldt_ = amx::padded(rows);
    if (tile_ldt_ * tile_lda_ > tile_a_capacity_) {
      tile_a_ = make_tile_buffer(tile_ldt_ * tile_lda_);
      tile_a_capacity_ = tile_ldt_ * tile_lda_;
    }
    if (tile_ldt_ / amx::kBlock > tile_scale_slots_) {
      tile_scale_.reset(new T[tile_ldt_ / amx::kBlock]);
      tile_scale_slots_ = tile_ldt_ / amx::kBlock;
    }
    if (transposed && tile_ldt_ * tile_lda_ > tile_t_capacity_) {
      tile_t_ = make_tile_buffer(tile_ldt_ * tile_lda_);
      tile_t_capacity_ = tile_ldt_ * tile_lda_;
    }
    return;
  }
  paired_ = layout == SparseLayout::Pairs || (layout == SparseLayout::Auto && sparse_pairs_preferred<T>());
  columns_ = layout == SparseLayout::Columns;
  split_ = false;
  if (columns_ && rows * ((cols + 1) / 2) > 0xFFFFFFFFu)
    throw std::invalid_argument("SparseRows: the Columns layout expected rows x column pairs below 2^32, got " +
                                std::to_string(rows) + " x " + std::to_string((cols + 1) / 2));
  rows_ = rows;
  cols_ = cols;
  row_capacity_ = cols + kSlack;
  const std::size_t units = paired_ ? (rows + 1) / 2 : rows;  // rows, or pairs of rows
  // A pair keeps two values per column: room for 2 * row_capacity_ values per unit either way.
  const std::size_t need = units * row_capacity_;
  if (need > capacity_) {
    // new T[n] leaves the memory untouched: only the pages the entries land on become resident.
    index_.reset(new std::uint32_t[need]);
    value_.reset(new T[2 * need]);
    capacity_ = need;
  }
  if (columns_ && rows * ((cols + 1) / 2) > column_slots_) {
    cstart_.reset(new std::uint32_t[rows * ((cols + 1) / 2)]);
    ccount_.reset(new std::uint32_t[rows * ((cols + 1) / 2)]);
    cboth_.reset(new std::uint32_t[rows * ((cols + 1) / 2)]);
    cfirst_.reset(new std::uint32_t[rows * ((cols + 1) / 2)]);
    column_slots_ = rows * ((cols + 1) / 2);
  }
  if (columns_ && rows > block_slots_) {
    block_end_.reset(new std::size_t[rows]);
    block_slots_ = rows;
  }
  if (columns_) std::fill(block_end_.get(), block_end_.get() + rows, std::size_t(0));  // no block filled yet
  if (!paired_ && !columns_ && rows * cols > col_capacity_) {  // column lists for sparse_weight_grad: `rows` slots per column
    col_row_.reset(new std::uint32_t[rows * cols]);
    col_val_.reset(new T[rows * cols]);
    col_capacity_ = rows * cols;
  }
  if (cols > col_slots_) {
    col_count_.reset(new std::size_t[cols]);
    col_slots_ = cols;
  }
  if (rows > row_slots_) {
    start_.reset(new std::size_t[rows]);
    count_.reset(new std::size_t[rows]);
    row_slots_ = rows;
  }
}

template <class T>
std::size_t SparseRows<T>::range_start(std::size_t r0, std::size_t r1) const {
  if (r0 > r1 || r1 > rows_)
    throw std::invalid_argument("SparseRows: expected a row range within [0, " + std::to_string(rows_) + "), got [" +
                                std::to_string(r0) + ", " + std::to_string(r1) + ")");
  if (paired_ && (r0 % 2 != 0 || (r1 % 2 != 0 && r1 != rows_)))
    throw std::invalid_argument("SparseRows: the Pairs layout fills ranges of whole pairs; expected even bounds "
                                "(or the last row), got [" + std::to_string(r0) + ", " + std::to_string(r1) + ")");
  // Each range starts at its first unit * (cols + slack): ranges filled by different threads
  // never overlap.
  return (paired_ ? r0 / 2 : r0) * row_capacity_;
}

template <class T>
template <class F>
std::size_t SparseRows<T>::fill_columns(std::size_t r0, std::size_t r1, F&& pair) {
  if (r0 > r1 || r1 > rows_)
    throw std::invalid_argument("SparseRows: expected a row range within [0, " + std::to_string(rows_) + "), got [" +
                                std::to_string(r0) + ", " + std::to_string(r1) + ")");
  if (r0 == r1) return 0;
  // (Only read here, as threads fill blocks at once; reset() clears it.)
  if (split_) throw std::logic_error("SparseRows: a split set is refilled only after reset()");
  // A block of n rows has at most n entries per column pair, so blocks starting at r0 * Q never
  // overlap, whichever threads fill them.
  const std::size_t Q = column_pairs();
  std::size_t pos = r0 * Q, total = 0;
  for (std::size_t q = 0; q < Q; ++q) {
    const std::size_t n = pair(q, static_cast<std::uint32_t>(r0), index_.get() + pos, value_.get() + 2 * pos);
    cstart_[r0 * Q + q] = static_cast<std::uint32_t>(pos);
    ccount_[r0 * Q + q] = static_cast<std::uint32_t>(n);
    pos += n;
    total += n;
  }
  block_end_[r0] = r1;
  return total;
}

template <class T>
std::size_t SparseRows<T>::next_block(std::size_t r0) const {
  if (r0 >= rows_ || block_end_[r0] <= r0)
    throw std::logic_error("SparseRows: expected every row of a Columns set filled, found no block at row " +
                           std::to_string(r0) + " of " + std::to_string(rows_));
  return block_end_[r0];
}

template <class T>
void SparseRows<T>::split_column_pairs() {
  if (!columns_) throw std::invalid_argument("SparseRows::split_column_pairs: expected the Columns layout");
  if (split_) return;
  const std::size_t Q = column_pairs();
  std::vector<std::uint32_t> idx;
  std::vector<T> val;
  for (std::size_t r = 0, e; r < rows_; r = e) {
    e = next_block(r);  // (checked before the block is read)
    for (std::size_t q = 0; q < Q; ++q) {
      const std::size_t k = r * Q + q, n = ccount_[k];
      std::uint32_t* pi = index_.get() + cstart_[k];
      T* pv = value_.get() + 2 * std::size_t(cstart_[k]);
      idx.assign(pi, pi + n);
      val.assign(pv, pv + 2 * n);
      std::size_t out = 0, both = 0, first = 0;
      for (int part = 0; part < 3; ++part)
        for (std::size_t u = 0; u < n; ++u) {
          const bool a = val[2 * u] != T(0), b = val[2 * u + 1] != T(0);  // (NaN counts as non-zero)
          if ((part == 0 && a && b) || (part == 1 && a && !b) || (part == 2 && !a)) {
            pi[out] = idx[u];
            pv[2 * out] = val[2 * u];
            pv[2 * out + 1] = val[2 * u + 1];
            ++out;
            both += part == 0;
            first += part == 1;
          }
        }
      cboth_[k] = static_cast<std::uint32_t>(both);
      cfirst_[k] = static_cast<std::uint32_t>(first);
    }
  }
  split_ = true;
}

template <class T>
template <class F>
std::size_t SparseRows<T>::fill_range(std::size_t r0, std::size_t r1, F&& unit) {
  std::size_t pos = range_start(r0, r1), total = 0;
  const std::size_t step = paired_ ? 2 : 1;
  for (std::size_t r = r0; r < r1; r += step) {
    const std::size_t n = unit(r, index_.get() + pos, value_.get() + (paired_ ? 2 * pos : pos));
    start_[r / step] = pos;
    count_[r / step] = n;
    pos += n;
    total += n;
  }
  return total;
}

template <class T>
std::size_t SparseRows<T>::compress_rows(const T* x, std::size_t r0, std::size_t r1) {
  if (tiles_) throw std::logic_error("SparseRows: the Tiles layout is filled from bytes only (compress_bytes)");
  if (columns_)  // (the float path of a layer, not a training batch's: a plain gather suffices)
    return fill_columns(r0, r1, [&](std::size_t q, std::uint32_t, std::uint32_t* idx, T* val) -> std::size_t {
      const std::size_t a = 2 * q, b = 2 * q + 1;
      std::size_t n = 0;
      for (std::size_t r = r0; r < r1; ++r) {
        const T va = x[r * cols_ + a], vb = b < cols_ ? x[r * cols_ + b] : T(0);
        if (va != T(0) || vb != T(0)) {  // NaN is not 0: kept
          idx[n] = static_cast<std::uint32_t>(r - r0);
          val[2 * n] = va;
          val[2 * n + 1] = vb;
          ++n;
        }
      }
      return n;
    });
  return fill_range(r0, r1, [&](std::size_t r, std::uint32_t* idx, T* val) -> std::size_t {
    if constexpr (std::is_same_v<T, float>)
      if (paired_) return pairs::compress_floats(x + r * cols_, r + 1 < r1 ? x + (r + 1) * cols_ : nullptr, cols_, idx, val);
    return compress_row(x + r * cols_, cols_, idx, val);
  });
}

template <class T>
std::size_t SparseRows<T>::compress_bytes(const std::uint8_t* base, std::size_t stride, const std::size_t* rows,
                                          std::size_t first, std::size_t r0, std::size_t r1, T scale) {
  if (tiles_) return fill_tiles(base, stride, rows, first, r0, r1, scale);
  auto src = [&](std::size_t r) { return base + (rows ? rows[r] : first + r) * stride; };
  if constexpr (std::is_same_v<T, float>)
    if (columns_) {
      // The block's rows transposed into a thread's scratch (columns of ld bytes, zero-padded),
      // then each pair of columns taken out of it while it is in cache.
      const std::size_t n = r1 > r0 ? r1 - r0 : 0, ld = (n + 31) / 32 * 32;
      thread_local std::vector<const std::uint8_t*> row_ptr;
      thread_local std::vector<std::uint8_t> cols_t;
      row_ptr.resize(n);
      for (std::size_t i = 0; i < n; ++i) row_ptr[i] = src(r0 + i);
      if (cols_t.size() < (cols_ + 1) * ld) cols_t.resize((cols_ + 1) * ld);
      if (n) pairs::transpose_bytes(row_ptr.data(), n, cols_, cols_t.data(), ld);
      const std::uint8_t* t = cols_t.data();
      thread_local float value_of[256];
      thread_local float table_scale = 0.0f;
      if (table_scale != scale) {  // (the table holds exactly float(byte) * scale, as the other paths compute)
        for (int v = 0; v < 256; ++v) value_of[v] = float(v) * scale;
        table_scale = scale;
      }
      return fill_columns(r0, r1, [&](std::size_t q, std::uint32_t, std::uint32_t* idx, T* val) -> std::size_t {
        const std::uint8_t* b = 2 * q + 1 < cols_ ? t + (2 * q + 1) * ld : nullptr;
        return pairs::compress_column_pair(t + 2 * q * ld, b, ld, value_of, 0, idx, val);
      });
    }
  return fill_range(r0, r1, [&](std::size_t r, std::uint32_t* idx, T* val) -> std::size_t {
    if constexpr (std::is_same_v<T, float>) {
      if (paired_) {
        // A batch's rows are random rows of a set larger than the caches and this is their first
        // touch: ask for the rows two pairs ahead while this pair is packed.
        for (std::size_t ahead = r + 4; ahead < std::min(r + 6, r1); ++ahead)
          for (std::size_t off = 0; off < cols_; off += 64) __builtin_prefetch(src(ahead) + off);
        return pairs::compress_bytes(src(r), r + 1 < r1 ? src(r + 1) : nullptr, cols_, scale, idx, val);
      }
    }
    return compress_bytes_row(src(r), cols_, scale, idx, val);
  });
}

template <class T>
void SparseRows<T>::copy_rows(const SparseRows& src, std::size_t first, std::size_t r0, std::size_t r1) {
  if (tiles_ || src.tiles_) throw std::logic_error("SparseRows::copy_rows: not for the Tiles layout");
  if (src.cols_ != cols_ || first + r1 > src.rows_ || r0 > r1 || r1 > rows_)
    throw std::invalid_argument("SparseRows::copy_rows: expected rows within (" + std::to_string(src.rows_) + ", " +
                                std::to_string(src.cols_) + "), got rows [" + std::to_string(first + r0) + ", " +
                                std::to_string(first + r1) + ") of " + std::to_string(cols_) + " columns");
  if (paired_ || src.paired_ || columns_ || src.columns_)
    throw std::invalid_argument("SparseRows::copy_rows: expected the Rows layout on both sides");
  fill_range(r0, r1, [&](std::size_t r, std::uint32_t* idx, T* val) {
    const std::size_t n = src.count_[first + r];
    std::memcpy(idx, src.index(first + r), n * sizeof(std::uint32_t));
    std::memcpy(val, src.value(first + r), n * sizeof(T));
    return n;
  });
}

template <class T>
std::size_t SparseRows<T>::fill_tiles(const std::uint8_t* base, std::size_t stride, const std::size_t* rows,
                                     std::size_t first, std::size_t r0, std::size_t r1, T scale) {
  if (r0 > r1 || r1 > rows_ || r0 % amx::kBlock != 0 || (r1 % amx::kBlock != 0 && r1 != rows_))
    throw std::invalid_argument("SparseRows: the Tiles layout fills ranges of whole blocks of 32 rows (or up to the "
                                "last row) within [0, " + std::to_string(rows_) + "), got [" + std::to_string(r0) +
                                ", " + std::to_string(r1) + ")");
  if (r0 == r1) return 0;
  auto src = [&](std::size_t r) { return base + (rows ? rows[r] : first + r) * stride; };
  thread_local std::vector<const std::uint8_t*> ptr;
  ptr.resize(r1 - r0);
  for (std::size_t r = r0; r < r1; ++r) ptr[r - r0] = src(r);
  for (std::size_t b = r0; b < r1; b += amx::kBlock) {
    tile_scale_[b / amx::kBlock] = scale;
    const std::uint8_t* const* p = ptr.data() + (b - r0);
    const std::size_t n = std::min(amx::kBlock, r1 - b), more = std::min(amx::kBlock, r1 - b - n);
    amx::pack_rows(p, n, more, b == r0, cols_, tile_a_.get() + b * tile_lda_, tile_lda_);
    if (tile_transposed_) amx::pack_block_transposed(p, n, cols_, tile_t_.get(), tile_ldt_, b / amx::kBlock);
  }
  return (r1 - r0) * cols_;
}

void TileOperand::pack(const float* B, std::size_t K, std::size_t M) {
  const std::size_t need = amx::packed_b_size(K, M);
  if (need > capacity_) {
    data_ = make_tile_buffer(need);
    capacity_ = need;
  }
  K_ = K;
  M_ = M;
  amx::pack_b(B, K, M, M, data_.get());
}

void tiles_affine(const SparseRows<float>& x, std::size_t r0, std::size_t r1, const TileOperand& W, const float* b,
                  float* out) {
  if (!x.tiles() || W.K() != x.cols() || r0 % amx::kBlock != 0 || r1 > x.rows())
    throw std::invalid_argument("tiles_affine: expected a Tiles set of " + std::to_string(W.K()) +
                                " columns and rows from a multiple of 32");
  for (std::size_t r = r0; r < r1; r += amx::kBlock)
    amx::product(x.tile_rows() + r * x.tile_lda(), x.tile_lda(), std::min(amx::kBlock, r1 - r), W.data(), W.M(), b,
                 x.tile_scale(r), out + r * W.M(), W.M());
}

void tiles_weight_grad(const SparseRows<float>& x, std::size_t k0, std::size_t k1, const TileOperand& dout,
                       float* dW) {
  if (!x.tiles() || !x.tile_has_transposed() || dout.K() != x.rows() || k0 % amx::kBlock != 0 || k1 > x.cols())
    throw std::invalid_argument("tiles_weight_grad: expected a Tiles set kept transposed, dout of " +
                                std::to_string(x.rows()) + " rows and columns from a multiple of 32");
  // dW sums over every row: one scale for all of them.
  for (std::size_t r = 0; r < x.rows(); r += amx::kBlock)
    if (!(x.tile_scale(r) == x.tile_scale(0)))
      throw std::logic_error("tiles_weight_grad: expected one scale for the whole set, found blocks filled with " +
                             std::to_string(x.tile_scale(0)) + " and " + std::to_string(x.tile_scale(r)));
  for (std::size_t k = k0; k < k1; k += amx::kBlock)
    amx::product(x.tile_transposed() + k * x.tile_ldt(), x.tile_ldt(), std::min(amx::kBlock, k1 - k), dout.data(),
                 dout.M(), nullptr, x.tile_scale(0), dW + k * dout.M(), dout.M());
}

template <class T>
std::size_t SparseRows<T>::entries() const {
  if (tiles_) return rows_ * cols_;
  std::size_t n = 0;
  if (columns_) {
    for (std::size_t r = 0, e; r < rows_; r = e) {
      e = next_block(r);
      for (std::size_t q = 0; q < column_pairs(); ++q) n += column_pair_count(r, q);
    }
    return n;
  }
  const std::size_t units = paired_ ? (rows_ + 1) / 2 : rows_;
  for (std::size_t r = 0; r < units; ++r) n += count_[r];
  return n;
}

template <class T>
void sparse_affine_rows(const SparseRows<T>& x, std::size_t r0, std::size_t r1, const T* W, const T* b,
                        std::size_t M, T* out, std::size_t x_first) {
  if (x.tiles()) throw std::logic_error("sparse_affine_rows: a Tiles set is multiplied by tiles_affine");
  if (x.columns()) {
    if constexpr (std::is_same_v<T, float>) {
      if (r0 == r1) return;
      const std::size_t s = x_first + r0;
      if (r1 < r0 || x_first + r1 > x.rows() || x.block_end(s) != x_first + r1)
        throw std::invalid_argument("sparse_affine_rows: the Columns layout multiplies the blocks it was filled in; "
                                    "expected a filled block, got rows [" + std::to_string(s) + ", " +
                                    std::to_string(x_first + r1) + ")");
      // Output rows start at b; then W's rows 2q, 2q + 1 go into the rows listed for pair q, q
      // increasing: each row's terms in increasing column, as the Rows layout adds them.
      float* o = out + r0 * M;  // the block's rows (listed relative to its first)
      for (std::size_t r = 0; r < r1 - r0; ++r) {
        if (b) std::copy(b, b + M, o + r * M);
        else std::fill(o + r * M, o + (r + 1) * M, 0.0f);
      }
      std::vector<float> zeros;
      for (std::size_t q = 0; q < x.column_pairs(); ++q) {
        const std::size_t n = x.column_pair_count(s, q);
        if (n == 0) continue;
        const float* wb = W + (2 * q + 1) * M;
        if (2 * q + 1 >= x.cols()) {  // an odd last column: its pair's second column is 0
          zeros.assign(M, 0.0f);
          wb = zeros.data();
        }
        const std::uint32_t* idx = x.column_pair_rows(s, q);
        const float* val = x.column_pair_value(s, q);
        if (!x.split()) {
          pairs::weight_grad(idx, val, n, W + 2 * q * M, wb, M, o);
          continue;
        }
        // Both values, then column 2q's only, then column 2q + 1's only: a row is in one part.
        const std::size_t both = x.column_pair_both(s, q), first = x.column_pair_first_only(s, q);
        if (both) pairs::weight_grad(idx, val, both, W + 2 * q * M, wb, M, o);
        if (first) pairs::add_rows(idx + both, val + 2 * both, first, W + 2 * q * M, M, o);
        if (n > both + first)
          pairs::add_rows(idx + both + first, val + 2 * (both + first) + 1, n - both - first, wb, M, o);
      }
    }
    return;
  }
  if (x.paired()) {
    if constexpr (std::is_same_v<T, float>) {
      // Rows [s, e) of x; a pair that straddles either end is computed whole and its outside row
      // dropped (a thread split may cut a pair: both threads compute it, each keeps its own row).
      const std::size_t s = x_first + r0, e = x_first + r1;
      std::vector<float> spare;
      auto row_out = [&](std::size_t r) -> float* {
        if (r >= s && r < e) return out + (r - x_first) * M;
        if (spare.empty()) spare.resize(M);
        return spare.data();
      };
      for (std::size_t p = s / 2; 2 * p < e; ++p)
        pairs::affine(x.pair_index(p), x.pair_value(p), x.pair_count(p), W, b, M, row_out(2 * p), row_out(2 * p + 1));
    }
    return;
  }
  std::size_t r = r0;
  for (; r + 1 < r1; r += 2) {
    const std::size_t a = x_first + r, c = a + 1;
    pair_rows(x.index(a), x.value(a), x.count(a), x.index(c), x.value(c), x.count(c), W, b, M, out + r * M,
              out + (r + 1) * M);
  }
  if (r < r1) affine_row(x.index(x_first + r), x.value(x_first + r), x.count(x_first + r), W, b, M, out + r * M);
}

template <class T>
void sparse_weight_grad(const SparseRows<T>& x, std::size_t k0, std::size_t k1, const T* dout, std::size_t M,
                        T* dW) {
  if (x.tiles()) throw std::logic_error("sparse_weight_grad: a Tiles set is multiplied by tiles_weight_grad");
  const std::size_t R = x.rows();
  if (x.columns()) {
    if (x.split())
      throw std::invalid_argument("sparse_weight_grad: expected column pairs in row order, got a split set "
                                  "(split_column_pairs is for sets that are only multiplied)");
    if constexpr (std::is_same_v<T, float>) {
      if (k0 % 2 != 0 || (k1 % 2 != 0 && k1 != x.cols()) || k0 > k1 || k1 > x.cols())
        throw std::invalid_argument("sparse_weight_grad: the Columns layout sums dW rows by pairs; expected even "
                                    "bounds (or the last row) within " + std::to_string(x.cols()) + ", got [" +
                                    std::to_string(k0) + ", " + std::to_string(k1) + ")");
      // dW rows 2q, 2q + 1 summed in registers over the listed dout rows, block after block (a
      // block's sums start from the previous block's): rows increasing, the Rows layout's order.
      std::vector<float> spare;
      for (std::size_t q = k0 / 2; 2 * q < k1; ++q) {
        float* da = dW + 2 * q * M;
        float* db = da + M;
        if (2 * q + 1 >= k1) {  // an odd last row of dW: its partner's sums are dropped
          spare.assign(M, 0.0f);
          db = spare.data();
        }
        bool first = true;
        for (std::size_t r = 0, e; r < R; r = e) {
          e = x.next_block(r);
          const std::size_t n = x.column_pair_count(r, q);
          if (n == 0 && !first) continue;
          pairs::affine(x.column_pair_rows(r, q), x.column_pair_value(r, q), n, dout + r * M, first ? nullptr : da,
                        first ? nullptr : db, M, da, db);
          first = false;
        }
        if (first) {  // (no rows: R == 0)
          std::fill(da, da + M, 0.0f);
          std::fill(db, db + M, 0.0f);
        }
      }
    }
    return;
  }
  if (x.paired()) {
    if constexpr (std::is_same_v<T, float>) {
      // dW rows [k0, k1) from 0, then each pair's terms in row order: row 2p's, then row 2p + 1's,
      // the order of the Rows layout's sums. A last odd row pairs with zeros.
      std::fill(dW + k0 * M, dW + k1 * M, 0.0f);
      std::vector<float> zeros;
      const bool all = k0 == 0 && k1 == x.cols();
      for (std::size_t p = 0; 2 * p < R; ++p) {
        const std::uint32_t* idx = x.pair_index(p);
        const float* val = x.pair_value(p);
        std::size_t b = 0, e = x.pair_count(p);
        if (!all) {
          b = static_cast<std::size_t>(std::lower_bound(idx, idx + e, std::uint32_t(k0)) - idx);
          e = static_cast<std::size_t>(std::lower_bound(idx + b, idx + e, std::uint32_t(k1)) - idx);
        }
        if (b == e) continue;
        const float* db = dout + (2 * p + 1) * M;
        if (2 * p + 1 >= R) {
          zeros.assign(M, 0.0f);
          db = zeros.data();
        }
        pairs::weight_grad(idx + b, val + 2 * b, e - b, dout + 2 * p * M, db, M, dW);
      }
    }
    return;
  }
  // Row-wise accumulation into dW would load and store a row of dW per entry; instead the
  // entries with k0 <= column < k1 are first sorted into per-column lists (in row order, a
  // counting sort into fixed slots of `rows` per column), then each row of dW is summed in
  // registers and stored once.
  std::uint32_t* col_row = x.col_row_.get();
  T* col_val = x.col_val_.get();
  std::size_t* col_count = x.col_count_.get();
  std::fill(col_count + k0, col_count + k1, std::size_t(0));
  const bool all = k0 == 0 && k1 == x.cols();
  for (std::size_t r = 0; r < R; ++r) {
    const std::uint32_t* idx = x.index(r);
    const T* val = x.value(r);
    std::size_t b = 0, e = x.count(r);
    if (!all) {  // the row's entries in [k0, k1) (columns are increasing)
      b = static_cast<std::size_t>(std::lower_bound(idx, idx + e, std::uint32_t(k0)) - idx);
      e = static_cast<std::size_t>(std::lower_bound(idx + b, idx + e, std::uint32_t(k1)) - idx);
    }
    for (std::size_t i = b; i < e; ++i) {
      const std::size_t k = idx[i], slot = k * R + col_count[k]++;
      col_row[slot] = static_cast<std::uint32_t>(r);
      col_val[slot] = val[i];
    }
  }
  // dW[k, :] is the product row of column k's entries with dout and no bias: two at a time.
  std::size_t k = k0;
  for (; k + 1 < k1; k += 2)
    pair_rows<T>(col_row + k * R, col_val + k * R, col_count[k], col_row + (k + 1) * R, col_val + (k + 1) * R,
                 col_count[k + 1], dout, nullptr, M, dW + k * M, dW + (k + 1) * M);
  if (k < k1) affine_row<T>(col_row + k * R, col_val + k * R, col_count[k], dout, nullptr, M, dW + k * M);
}

std::string sparse_kernels() {
  return g_isa == Isa::Amx ? "amx" : g_isa == Isa::Avx512 ? "avx512" : g_isa == Isa::Avx2 ? "avx2" : "plain";
}

bool set_sparse_kernels(const std::string& name) {
  Isa want = g_best_isa;
  if (!isa_named(name, want))
    throw std::invalid_argument("set_sparse_kernels: expected amx, avx512, avx2, plain or best, got '" + name + "'");
  if (want > g_best_isa) return false;
  g_isa = want;
  return true;
}

template bool sparse_tiles_preferred<float>();
template bool sparse_tiles_preferred<double>();
template bool sparse_pairs_preferred<float>();
template bool sparse_pairs_preferred<double>();
template class SparseRows<float>;
template class SparseRows<double>;
template void sparse_affine_rows<float>(const SparseRows<float>&, std::size_t, std::size_t, const float*,
                                        const float*, std::size_t, float*, std::size_t);
template void sparse_affine_rows<double>(const SparseRows<double>&, std::size_t, std::size_t, const double*,
                                         const double*, std::size_t, double*, std::size_t);
template void sparse_weight_grad<float>(const SparseRows<float>&, std::size_t, std::size_t, const float*,
                                        std::size_t, float*);
template void sparse_weight_grad<double>(const SparseRows<double>&, std::size_t, std::size_t, const double*,
                                         std::size_t, double*);

}  // namespace dlfs
