// Dense products with a narrow weight matrix (see linalg.hpp: narrow_affine, narrow_weight_grad).
// Why not BLAS: a net's first layer is (100, 784) x (784, 50), too small for OpenBLAS to amortise
// packing both operands on every call (13% of the Fashion-MNIST run went to its copy routines)
// and too narrow for its micro-tiles. Here a block of up to 6 rows keeps its 6 x 4 output vectors
// in registers for the whole sum (24 of the 32 AVX-512 registers), each W vector loaded once per
// block and each x value broadcast straight from memory.
//
// Every output is one chain of fused multiply-adds in a fixed order (d = 0, 1, ... for the
// product, n = 0, 1, ... for dW), whatever the blocking or the thread that computes it: results
// do not depend on the thread count.
#include "dlfs/linalg.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "dlfs/parallel.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define DLFS_NARROW_X86 1
#endif

namespace dlfs {

namespace {

constexpr std::size_t kMaxRows = 6;        // rows (or dW rows) a block keeps in registers
constexpr std::size_t kMaxWidth = 64;      // 4 vectors of 16 floats
constexpr std::size_t kSplitWork = std::size_t(1) << 20;  // multiply-adds worth a second thread
constexpr std::size_t kSliceBytes = 32 << 10;  // the slice of W kept in L1 (of 48 KB)
constexpr std::size_t kRunRows = 16 * kMaxRows;  // rows of x per slice pass: their x slices stay in L2
constexpr std::size_t kGradRun = 48;             // rows of dW a task takes at a time (6 x 8, 16 x 3)

#ifdef DLFS_NARROW_X86

// DLFS_NARROW=0 leaves every product to BLAS (benchmarks compare the two).
bool detect() {
  const char* env = std::getenv("DLFS_NARROW");
  if (env && std::string(env) == "0") return false;
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}
const bool g_avx512 = detect();

// out[r, :] = start[r, :] + sum_{d in [d0, d1)} x[r, d] W[d, :] for R rows, start = b (null: 0)
// when `first`, else what out holds (a sum cut at d0 goes on exactly: a float stored and loaded
// back is the same float). NV vectors of columns, the last masked.
template <int R, int NV>
__attribute__((target("avx512f"))) void affine_rows(const float* x, std::size_t D, std::size_t d0, std::size_t d1,
                                                    const float* W, std::size_t M, const float* b, bool first,
                                                    float* out, __mmask16 tail) {
  __m512 acc[R][NV];
  auto mask = [&](int v) { return v == NV - 1 ? tail : __mmask16(0xFFFF); };
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) {
    const __m512 bv = first && b ? _mm512_maskz_loadu_ps(mask(v), b + 16 * v) : _mm512_setzero_ps();
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r)
      acc[r][v] = first ? bv : _mm512_maskz_loadu_ps(mask(v), out + std::size_t(r) * M + 16 * v);
  }
  for (std::size_t d = d0; d < d1; ++d) {
    const float* w = W + d * M;
    __m512 wv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) wv[v] = _mm512_maskz_loadu_ps(mask(v), w + 16 * v);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      const __m512 xr = _mm512_set1_ps(x[std::size_t(r) * D + d]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(xr, wv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) _mm512_mask_storeu_ps(out + std::size_t(r) * M + 16 * v, mask(v), acc[r][v]);
}

// dW[k, :] = sum_n x[n, d0 + k] dout[n, :] for R rows k of dW.
template <int R, int NV>
__attribute__((target("avx512f"))) void grad_rows(const float* x, std::size_t D, std::size_t N, const float* dout,
                                                  std::size_t M, float* dW, __mmask16 tail) {
  __m512 acc[R][NV];
  auto mask = [&](int v) { return v == NV - 1 ? tail : __mmask16(0xFFFF); };
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  for (std::size_t n = 0; n < N; ++n) {
    const float* g = dout + n * M;
    __m512 gv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) gv[v] = _mm512_maskz_loadu_ps(mask(v), g + 16 * v);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      const __m512 xr = _mm512_set1_ps(x[n * D + std::size_t(r)]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(xr, gv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) _mm512_mask_storeu_ps(dW + std::size_t(r) * M + 16 * v, mask(v), acc[r][v]);
}

// The last T (1..4) columns, c0 = M - T on, where a vector of 16 would carry mostly padding (50
// columns are 3 vectors and 2 columns: a fourth, masked vector would be a quarter of the FMAs).
//
// Forward: out[r, c0 + c] = b[c0 + c] + x[r, :] . wt[c, :] for R rows, wt the tail columns of W
// transposed (T, D): dot products along d, 16 products at a time, each sum reduced at the end
// (so these columns add their terms in a tree rather than in the order of d).
template <int R, int T>
__attribute__((target("avx512f"))) void affine_tail(const float* x, std::size_t D, const float* wt, const float* b,
                                                    float* out, std::size_t M) {
  __m512 acc[R][T];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int c = 0; c < T; ++c) acc[r][c] = _mm512_setzero_ps();
  for (std::size_t d = 0; d < D; d += 16) {
    const __mmask16 m = D - d >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (D - d)) - 1);
    __m512 wv[T];
#pragma GCC unroll 4
    for (int c = 0; c < T; ++c) wv[c] = _mm512_maskz_loadu_ps(m, wt + std::size_t(c) * D + d);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      const __m512 xv = _mm512_maskz_loadu_ps(m, x + std::size_t(r) * D + d);
#pragma GCC unroll 4
      for (int c = 0; c < T; ++c) acc[r][c] = _mm512_fmadd_ps(xv, wv[c], acc[r][c]);
    }
  }
  const std::size_t c0 = M - T;
  alignas(64) float v[16];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < T; ++c) {
      // Lanes summed pairwise in a fixed order (GCC 12's _mm512_reduce_add_ps trips its own
      // -Wuninitialized).
      _mm512_store_ps(v, acc[r][c]);
      for (int w = 8; w > 0; w /= 2)
        for (int i = 0; i < w; ++i) v[i] += v[i + w];
      out[std::size_t(r) * M + c0 + c] = (b ? b[c0 + c] : 0.0f) + v[0];
    }
}

// dW[k, c0 + c] = sum_n x[n, k] dout[n, c0 + c] for G groups of 16 rows k of dW (lanes = k;
// `lanes` rows in all): the same chain over n as grad_rows. G groups give G x T independent
// chains: with T = 2 alone, the FMA latency (4 cycles) would set the pace.
template <int G, int T>
__attribute__((target("avx512f"))) void grad_tail(const float* x, std::size_t D, std::size_t N, const float* dout,
                                                  std::size_t M, float* dW, unsigned lanes) {
  const std::size_t c0 = M - T;
  __mmask16 m[G];
  __m512 acc[G][T];
#pragma GCC unroll 4
  for (int g = 0; g < G; ++g) {
    const unsigned l = lanes > 16u * g ? std::min(16u, lanes - 16u * g) : 0u;
    m[g] = l >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << l) - 1);
#pragma GCC unroll 4
    for (int c = 0; c < T; ++c) acc[g][c] = _mm512_setzero_ps();
  }
  for (std::size_t n = 0; n < N; ++n) {
    __m512 gv[T];
#pragma GCC unroll 4
    for (int c = 0; c < T; ++c) gv[c] = _mm512_set1_ps(dout[n * M + c0 + c]);
#pragma GCC unroll 4
    for (int g = 0; g < G; ++g) {
      const __m512 xv = _mm512_maskz_loadu_ps(m[g], x + n * D + 16 * g);
#pragma GCC unroll 4
      for (int c = 0; c < T; ++c) acc[g][c] = _mm512_fmadd_ps(xv, gv[c], acc[g][c]);
    }
  }
  alignas(64) float v[G][T][16];
#pragma GCC unroll 4
  for (int g = 0; g < G; ++g)
#pragma GCC unroll 4
    for (int c = 0; c < T; ++c) _mm512_store_ps(v[g][c], acc[g][c]);
  for (unsigned k = 0; k < lanes; ++k)
    for (int c = 0; c < T; ++c) dW[std::size_t(k) * M + c0 + c] = v[k / 16][c][k % 16];
}

// How M splits: full vectors of the register blocks, then a tail of M % 16 columns kept as a
// masked vector, or (1..4 columns, past at least one full vector) taken by the tail kernels.
struct Split {
  int nv;              // vectors of the register blocks
  __mmask16 mask;      // lanes of their last vector
  std::size_t tail;    // columns for the tail kernels (0: none)
};
Split split_columns(std::size_t M) {
  const std::size_t rest = M % 16;
  if (M > 16 && rest > 0 && rest <= 4) return {static_cast<int>(M / 16), __mmask16(0xFFFF), rest};
  const int nv = static_cast<int>((M + 15) / 16);
  const std::size_t last = M - std::size_t(nv - 1) * 16;
  return {nv, last == 16 ? __mmask16(0xFFFF) : __mmask16((1u << last) - 1), 0};
}

// Calls f.template operator()<R, NV>() for R = rows in 1..6 (for grad_tail: groups of 16 rows of
// dW) and NV in 1..4 (vectors of the register blocks, or the tail kernels' columns).
template <class F>
void dispatch(std::size_t rows, std::size_t nv, F&& f) {
#define DLFS_NV(R)                                  \
  switch (nv) {                                     \
    case 1: f.template operator()<R, 1>(); break;   \
    case 2: f.template operator()<R, 2>(); break;   \
    case 3: f.template operator()<R, 3>(); break;   \
    default: f.template operator()<R, 4>(); break;  \
  }
  switch (rows) {
    case 1: DLFS_NV(1) break;
    case 2: DLFS_NV(2) break;
    case 3: DLFS_NV(3) break;
    case 4: DLFS_NV(4) break;
    case 5: DLFS_NV(5) break;
    default: DLFS_NV(6) break;
  }
#undef DLFS_NV
}

// Runs body(r0, r1) over [0, count) in blocks of kMaxRows, split between threads by whole blocks
// when the work is worth it (any split gives the same results).
// body(r0, r1) gets runs of up to `run` items (a multiple of kMaxRows).
template <class Body>
void over_blocks(std::size_t count, std::size_t work, Body&& body, std::size_t run = kMaxRows) {
  const std::size_t blocks = (count + run - 1) / run;
  const int tasks = static_cast<int>(
      std::min<std::size_t>({std::size_t(num_threads()), blocks, std::max<std::size_t>(work / kSplitWork, 1)}));
  parallel_tasks(tasks, [&](int t) {
    std::size_t j0, j1;
    split_range(blocks, tasks, t, j0, j1);
    for (std::size_t j = j0; j < j1; ++j) body(j * run, std::min(count, (j + 1) * run));
  });
}

#endif  // DLFS_NARROW_X86

}  // namespace

bool narrow_available(std::size_t M) {
#ifdef DLFS_NARROW_X86
  return g_avx512 && M > 0 && M <= kMaxWidth;
#else
  (void)M;
  return false;
#endif
}

bool narrow_affine(std::size_t N, std::size_t D, std::size_t M, const float* x, const float* W, const float* b,
                   float* out) {
  if (!narrow_available(M)) return false;
#ifdef DLFS_NARROW_X86
  const Split sp = split_columns(M);
  // The tail columns of W transposed, (tail, D): the dot products read them contiguously. Kept
  // per thread, so the training loop allocates nothing once it has run a step.
  thread_local std::vector<float> wt;
  if (sp.tail) {
    wt.resize(sp.tail * D);
    for (std::size_t c = 0; c < sp.tail; ++c)
      for (std::size_t d = 0; d < D; ++d) wt[c * D + d] = W[d * M + (M - sp.tail) + c];
  }
  const float* wtp = wt.data();
  // W in slices of kSliceBytes, each used by every row block while it is in L1 (W whole, 157 KB
  // for 784 x 50, would come from L2 for each block of 6 rows).
  const std::size_t slice = std::max<std::size_t>(kSliceBytes / (M * sizeof(float)), 1);
  // Runs of rows: at most kRunRows, and at most half the rows (in whole blocks), so that a batch
  // of 100 still splits evenly between two threads.
  const std::size_t half = ((N + 1) / 2 + kMaxRows - 1) / kMaxRows * kMaxRows;
  const std::size_t run = std::min(kRunRows, std::max(half, kMaxRows));
  over_blocks(N, N * D * M, [&](std::size_t r0, std::size_t r1) {
    for (std::size_t d0 = 0; d0 < D; d0 += slice)
      for (std::size_t q0 = r0; q0 < r1; q0 += kMaxRows) {
        const std::size_t q1 = std::min(r1, q0 + kMaxRows);
        dispatch(q1 - q0, sp.nv, [&]<int R, int NV>() {
          affine_rows<R, NV>(x + q0 * D, D, d0, std::min(D, d0 + slice), W, M, b, d0 == 0, out + q0 * M, sp.mask);
        });
      }
    if (sp.tail)
      for (std::size_t q0 = r0; q0 < r1; q0 += kMaxRows) {
        const std::size_t q1 = std::min(r1, q0 + kMaxRows);
        dispatch(q1 - q0, sp.tail,
                      [&]<int R, int T>() { affine_tail<R, T>(x + q0 * D, D, wtp, b, out + q0 * M, M); });
      }
  }, run);
  return true;
#else
  (void)N, (void)D, (void)x, (void)W, (void)b, (void)out;
  return false;
#endif
}

bool narrow_weight_grad(std::size_t N, std::size_t D, std::size_t M, const float* x, const float* dout, float* dW) {
  if (!narrow_available(M)) return false;
#ifdef DLFS_NARROW_X86
  const Split sp = split_columns(M);
  // Runs of 48 rows of dW: whole blocks of 6 for the register blocks, of 16 for the tail.
  over_blocks(D, N * D * M, [&](std::size_t k0, std::size_t k1) {
    for (std::size_t q0 = k0; q0 < k1; q0 += kMaxRows) {
      const std::size_t q1 = std::min(k1, q0 + kMaxRows);
      dispatch(q1 - q0, sp.nv,
               [&]<int R, int NV>() { grad_rows<R, NV>(x + q0, D, N, dout, M, dW + q0 * M, sp.mask); });
    }
    if (sp.tail) {  // the run's rows of dW in one call: up to 3 groups of 16
      const unsigned lanes = static_cast<unsigned>(k1 - k0);
      dispatch((lanes + 15) / 16, sp.tail,
                    [&]<int G, int T>() { grad_tail<G, T>(x + k0, D, N, dout, M, dW + k0 * M, lanes); });
    }
  }, kGradRun);
  return true;
#else
  (void)N, (void)D, (void)x, (void)dout, (void)dW;
  return false;
#endif
}

}  // namespace dlfs
