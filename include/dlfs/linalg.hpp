// Matrix products. The fast path is BLAS (sgemm/dgemm); matmul_naive is the plain triple loop
// kept as the reference the tests compare BLAS against.
#pragma once
#include "dlfs/tensor.hpp"

namespace dlfs {

enum class Trans { No, Yes };

// C(M,N) = alpha * op(A) * op(B) + beta * C, on raw row-major buffers with leading dimensions.
void gemm(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, float alpha, const float* A,
          std::size_t lda, const float* B, std::size_t ldb, float beta, float* C, std::size_t ldc);
void gemm(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, double alpha, const double* A,
          std::size_t lda, const double* B, std::size_t ldb, double beta, double* C, std::size_t ldc);

// C = op(A) * op(B) (+ beta*C) on 2-D tensors; C is resized (without reallocating when it fits).
// Throws ShapeError naming both shapes when the inner dimensions disagree.
template <class T>
void matmul_into(const Tensor<T>& A, const Tensor<T>& B, Tensor<T>& C, Trans ta = Trans::No, Trans tb = Trans::No,
                 T beta = T(0));

template <class T>
Tensor<T> matmul(const Tensor<T>& A, const Tensor<T>& B, Trans ta = Trans::No, Trans tb = Trans::No) {
  Tensor<T> C;
  matmul_into(A, B, C, ta, tb);
  return C;
}

// The reference product: no BLAS, no transposes. Tests only.
template <class T>
Tensor<T> matmul_naive(const Tensor<T>& A, const Tensor<T>& B);

// Dense float products with a narrow W (M <= 64 columns: a net's first layer, 784 -> 50), by
// AVX-512 kernels that keep a block of rows' outputs in registers (src/core/narrow.cpp):
//   narrow_affine:      out (N, M) = x (N, D) W (D, M) + b (b may be null)
//   narrow_weight_grad: dW (D, M) = x^T dout, x (N, D), dout (N, M)
// Each output is one chain of fused multiply-adds in index order, so results do not depend on the
// thread count. They return false, computing nothing, where the CPU lacks AVX-512 or M does not
// fit (narrow_available): the caller then uses gemm.
bool narrow_available(std::size_t M);
bool narrow_affine(std::size_t N, std::size_t D, std::size_t M, const float* x, const float* W, const float* b,
                   float* out);
bool narrow_weight_grad(std::size_t N, std::size_t D, std::size_t M, const float* x, const float* dout, float* dW);

// OpenBLAS picks its kernels from the CPU model when it loads. Debian 12's 0.3.21 does not know
// some newer CPUs (an Intel Xeon of model 207, for one) and falls back to its SSE3 "Prescott"
// kernels, 2-3x slower than the AVX-512 ones the CPU can run. blas_core() names the kernels in
// use ("unknown" if OpenBLAS gives no name); blas_core_override() is the OPENBLAS_CORETYPE that
// would serve this CPU better (SkylakeX or Haswell), or nullptr when the loaded kernels already
// fit or OPENBLAS_CORETYPE is set. OpenBLAS reads the variable only at load time, so a program
// sets it and restarts itself (the dlfs tool does; see apps/dlfs/main.cpp).
const char* blas_core();
const char* blas_core_override();

// Threads used by BLAS (and by dlfs's own parallel loops). 0 = the machine's cores.
void set_num_threads(int n);
// The count the calling thread may use now: set_num_threads' count, less the cores lent to side
// threads (at least 1), or the calling thread's own limit when it has one.
int num_threads();

// A side thread's share of the cores while it lives: the thread that creates it runs with one
// core (for this thread only: the lease's thread then computes alone), and every other thread's
// num_threads() drops by one. Results never depend on the count (every split in dlfs gives each
// output to one task that sums it in a fixed order), only the speed does. Used by the trainer's
// evaluation beside training.
class CoreLease {
 public:
  CoreLease();
  ~CoreLease();
  CoreLease(const CoreLease&) = delete;
  CoreLease& operator=(const CoreLease&) = delete;
};

}  // namespace dlfs
