// parallel_tasks: every task runs exactly once, errors come back to the caller, nested calls run
// inline; the row-split GEMM gives the same bits with any number of threads.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "dlfs/linalg.hpp"
#include "dlfs/parallel.hpp"
#include "dlfs/rng.hpp"

using namespace dlfs;

namespace {
struct RestoreThreads {
  int n = num_threads();
  ~RestoreThreads() { set_num_threads(n); }
};
}  // namespace

TEST(Parallel, EachTaskRunsOnce) {
  RestoreThreads restore;
  for (int threads : {1, 2, 3}) {
    set_num_threads(threads);
    for (int n = 0; n <= 4; ++n) {
      for (int rep = 0; rep < 50; ++rep) {
        std::vector<std::atomic<int>> hits(static_cast<std::size_t>(n));
        parallel_tasks(n, [&](int t) { hits[static_cast<std::size_t>(t)].fetch_add(1); });
        // n is capped at the thread count: tasks beyond it never run.
        for (int t = 0; t < n; ++t)
          EXPECT_EQ(hits[static_cast<std::size_t>(t)].load(), t < threads ? 1 : 0) << threads << " " << n;
      }
    }
  }
}

TEST(Parallel, ExceptionReachesCallerAfterAllTasks) {
  RestoreThreads restore;
  set_num_threads(2);
  std::atomic<int> ran{0};
  EXPECT_THROW(parallel_tasks(2,
                              [&](int t) {
                                ran.fetch_add(1);
                                if (t == 1) throw std::runtime_error("task 1 failed");
                              }),
               std::runtime_error);
  EXPECT_EQ(ran.load(), 2);
  // The pool still works afterwards.
  std::atomic<int> again{0};
  parallel_tasks(2, [&](int) { again.fetch_add(1); });
  EXPECT_EQ(again.load(), 2);
}

TEST(Parallel, NestedCallsRunInline) {
  RestoreThreads restore;
  set_num_threads(2);
  std::atomic<int> inner{0};
  parallel_tasks(2, [&](int) {
    EXPECT_TRUE(in_parallel_task());
    parallel_tasks(2, [&](int) { inner.fetch_add(1); });
  });
  EXPECT_FALSE(in_parallel_task());
  EXPECT_EQ(inner.load(), 4);
}

TEST(Parallel, SplitRangeCoversEverythingOnce) {
  std::size_t next = 0;
  for (int t = 0; t < 3; ++t) {
    std::size_t b, e;
    split_range(10, 3, t, b, e);
    EXPECT_EQ(b, next);
    next = e;
  }
  EXPECT_EQ(next, 10u);
}

// Products large enough to be split by rows between threads: identical bits with 1 and 2
// threads, both transposes, and close to the naive product.
TEST(Parallel, SplitGemmIsThreadCountIndependent) {
  RestoreThreads restore;
  Rng rng(3);
  Tensor<float> A({300, 784}), B({784, 60}), G({300, 60});
  for (auto& v : A) v = float(rng.normal());
  for (auto& v : B) v = float(rng.normal());
  for (auto& v : G) v = float(rng.normal());
  set_num_threads(1);
  Tensor<float> c1, d1;
  matmul_into(A, B, c1);
  matmul_into(A, G, d1, Trans::Yes);  // (784, 300) x (300, 60)
  set_num_threads(2);
  Tensor<float> c2, d2;
  matmul_into(A, B, c2);
  matmul_into(A, G, d2, Trans::Yes);
  EXPECT_EQ(c1, c2);
  EXPECT_EQ(d1, d2);
  auto want = matmul_naive(A.cast<double>(), B.cast<double>());
  for (std::size_t i = 0; i < c2.size(); i += 97) EXPECT_NEAR(c2[i], want[i], 1e-3) << i;
}

// OpenBLAS names its kernels; a user's OPENBLAS_CORETYPE always stands (no override, so the dlfs
// tool never restarts itself twice); without it, the override is one of the two kernel sets dlfs
// asks for, and only when the loaded kernels are not already a fitting one.
TEST(BlasCore, OverrideOnlyWhenTheLoadedKernelsDoNotFit) {
  ASSERT_NE(dlfs::blas_core(), nullptr);
  const std::string core = dlfs::blas_core();
  EXPECT_FALSE(core.empty());
  const char* saved = std::getenv("OPENBLAS_CORETYPE");
  const std::string saved_value = saved ? saved : "";
  setenv("OPENBLAS_CORETYPE", "Haswell", 1);
  EXPECT_EQ(dlfs::blas_core_override(), nullptr);
  unsetenv("OPENBLAS_CORETYPE");
  if (const char* o = dlfs::blas_core_override()) {
    EXPECT_TRUE(std::string(o) == "SkylakeX" || std::string(o) == "Haswell") << o;
    EXPECT_NE(core, o) << "asked for the kernels already loaded";
  }
  if (core == "Haswell" || core == "SkylakeX" || core == "Zen" || core == "Cooperlake") {
    EXPECT_EQ(dlfs::blas_core_override(), nullptr) << core;
  }
  if (saved) setenv("OPENBLAS_CORETYPE", saved_value.c_str(), 1);
}
