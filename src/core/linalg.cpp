#include "dlfs/linalg.hpp"

#include <cblas.h>

#include <strings.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <thread>

#include "dlfs/parallel.hpp"

namespace dlfs {

namespace {
CBLAS_TRANSPOSE cb(Trans t) { return t == Trans::Yes ? CblasTrans : CblasNoTrans; }
int g_threads = 0;

void blas(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, float alpha, const float* A,
          std::size_t lda, const float* B, std::size_t ldb, float beta, float* C, std::size_t ldc) {
  cblas_sgemm(CblasRowMajor, cb(ta), cb(tb), (int)M, (int)N, (int)K, alpha, A, (int)lda, B, (int)ldb, beta, C,
              (int)ldc);
}
void blas(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, double alpha, const double* A,
          std::size_t lda, const double* B, std::size_t ldb, double beta, double* C, std::size_t ldc) {
  cblas_dgemm(CblasRowMajor, cb(ta), cb(tb), (int)M, (int)N, (int)K, alpha, A, (int)lda, B, (int)ldb, beta, C,
              (int)ldc);
}

// Products of at least this many multiply-adds (~10 microseconds on one core) are split by rows
// of C between dlfs's threads; smaller ones are not worth waking a thread for.
constexpr std::size_t kSplitWork = std::size_t(1) << 20;

// BLAS runs single-threaded (set_num_threads): its own threading costs more than it saves on
// batch-sized products (the seeds' run took 2.4x longer with 2 OpenBLAS threads than with 1) and
// would fight dlfs's threads. Large products are instead split here by rows of C, each part one
// single-threaded BLAS call. The parts depend on the product's size only, never on the thread
// count: OpenBLAS's result for a row can depend on how many rows the call has (seen with its Zen
// kernels: a 300-row product split 150/150 differed from the whole call in the last bits), so a
// split that followed the thread count would make 1 and 2 threads disagree. One thread runs the
// parts one after the other. Two parts: one per core of the 2-core machines dlfs is measured on
// (and the partition the 2-thread runs had before it was fixed, so their numbers stand).
constexpr std::size_t kMaxParts = 2;

template <class T>
void gemm_split(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, T alpha, const T* A,
                std::size_t lda, const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc) {
  if (M == 0 || N == 0) return;
  const std::size_t parts = std::min<std::size_t>({kMaxParts, M / 8, M * N * K / kSplitWork});
  if (parts <= 1) {
    blas(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  const int tasks = static_cast<int>(std::min<std::size_t>(std::size_t(num_threads()), parts));
  parallel_tasks(tasks, [&](int t) {
    for (std::size_t part = std::size_t(t); part < parts; part += std::size_t(tasks)) {
      std::size_t r0, r1;
      split_range(M, static_cast<int>(parts), static_cast<int>(part), r0, r1);
      // Rows r0.. of op(A): rows of A, or columns of A when it is transposed.
      const T* Ar = ta == Trans::No ? A + r0 * lda : A + r0;
      blas(ta, tb, r1 - r0, N, K, alpha, Ar, lda, B, ldb, beta, C + r0 * ldc, ldc);
    }
  });
}
}  // namespace

void gemm(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, float alpha, const float* A,
          std::size_t lda, const float* B, std::size_t ldb, float beta, float* C, std::size_t ldc) {
  gemm_split(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void gemm(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, double alpha, const double* A,
          std::size_t lda, const double* B, std::size_t ldb, double beta, double* C, std::size_t ldc) {
  gemm_split(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

template <class T>
void matmul_into(const Tensor<T>& A, const Tensor<T>& B, Tensor<T>& C, Trans ta, Trans tb, T beta) {
  expect_rank(A.shape(), 2, "matmul (left operand)");
  expect_rank(B.shape(), 2, "matmul (right operand)");
  std::size_t M = ta == Trans::No ? A.dim(0) : A.dim(1);
  std::size_t K = ta == Trans::No ? A.dim(1) : A.dim(0);
  std::size_t K2 = tb == Trans::No ? B.dim(0) : B.dim(1);
  std::size_t N = tb == Trans::No ? B.dim(1) : B.dim(0);
  if (K != K2)
    throw ShapeError("matmul: inner dimensions differ: " + shape_str(A.shape()) + (ta == Trans::Yes ? "^T" : "") +
                     " x " + shape_str(B.shape()) + (tb == Trans::Yes ? "^T" : ""));
  if (beta != T(0)) expect_shape(C.shape(), {M, N}, "matmul (accumulator)");
  C.resize({M, N});
  gemm(ta, tb, M, N, K, T(1), A.data(), A.dim(1), B.data(), B.dim(1), beta, C.data(), N);
}

template <class T>
Tensor<T> matmul_naive(const Tensor<T>& A, const Tensor<T>& B) {
  expect_rank(A.shape(), 2, "matmul_naive (left operand)");
  expect_rank(B.shape(), 2, "matmul_naive (right operand)");
  if (A.dim(1) != B.dim(0))
    throw ShapeError("matmul_naive: inner dimensions differ: " + shape_str(A.shape()) + " x " + shape_str(B.shape()));
  Tensor<T> C({A.dim(0), B.dim(1)});
  for (std::size_t i = 0; i < A.dim(0); ++i)
    for (std::size_t j = 0; j < B.dim(1); ++j) {
      T s = 0;
      for (std::size_t k = 0; k < A.dim(1); ++k) s += A(i, k) * B(k, j);
      C(i, j) = s;
    }
  return C;
}

template void matmul_into<float>(const Tensor<float>&, const Tensor<float>&, Tensor<float>&, Trans, Trans, float);
template void matmul_into<double>(const Tensor<double>&, const Tensor<double>&, Tensor<double>&, Trans, Trans,
                                  double);
template Tensor<float> matmul_naive<float>(const Tensor<float>&, const Tensor<float>&);
template Tensor<double> matmul_naive<double>(const Tensor<double>&, const Tensor<double>&);

const char* blas_core() {
  const char* name = openblas_get_corename();
  return name ? name : "unknown";
}

const char* blas_core_override() {
  if (std::getenv("OPENBLAS_CORETYPE")) return nullptr;  // the user's choice stands
  const char* core = blas_core();
  // OpenBLAS's names for the kernel sets with AVX2/FMA or AVX-512 GEMMs (Zen uses Haswell's).
  for (const char* good : {"Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"})
    if (strcasecmp(core, good) == 0) return nullptr;
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
  return nullptr;
}

void set_num_threads(int n) {
  if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
  if (n <= 0) n = 1;
  g_threads = n;
  openblas_set_num_threads(1);  // see gemm_split
}

namespace {
std::atomic<int> g_lent{0};          // cores held by CoreLeases
thread_local bool t_on_lease = false;  // this thread holds one
}  // namespace

int num_threads() {
  if (g_threads == 0) set_num_threads(0);
  if (t_on_lease) return 1;
  return std::max(1, g_threads - g_lent.load(std::memory_order_relaxed));
}

CoreLease::CoreLease() {
  t_on_lease = true;
  g_lent.fetch_add(1);
}

CoreLease::~CoreLease() {
  g_lent.fetch_sub(1);
  t_on_lease = false;
}

}  // namespace dlfs
