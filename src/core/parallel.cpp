// The worker pool behind parallel_tasks.
//
// Tasks are claimed, not assigned: the caller and the workers take task numbers from one atomic
// word, and the caller, once done with its own, takes every task nobody has started. So on a busy
// machine, where a worker may not get a core for milliseconds, the caller simply does the work
// itself instead of waiting. Which thread runs a task never changes what the task computes.
//
// Workers wait for a new job by spinning briefly (a training step starts a job every few tens of
// microseconds, less than a futex wake-up round trip), then sleep on a futex. (Raw futexes, not
// C++20 atomic::wait: GCC 12's version can miss a notification and hang.)
#include "dlfs/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dlfs/linalg.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#define DLFS_PAUSE() _mm_pause()
#else
#define DLFS_PAUSE() ((void)0)
#endif

namespace dlfs {

namespace {

// ~200 microseconds of spinning (a pause is ~50 ns here) before a thread sleeps.
constexpr int kSpins = 4000;

thread_local bool t_in_task = false;

static_assert(sizeof(std::atomic<std::uint32_t>) == 4, "futex words are 32 bits");

// Sleeps while *a == expected (returns at once otherwise, or spuriously).
void futex_wait(std::atomic<std::uint32_t>& a, std::uint32_t expected) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&a), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}
void futex_wake_all(std::atomic<std::uint32_t>& a) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&a), FUTEX_WAKE_PRIVATE, 0x7FFFFFFF, nullptr, nullptr, 0);
}

// Spins, then sleeps, until a != value. `sleepers` counts threads asleep on a, so that wakers
// make the system call only when someone sleeps (seq_cst on both sides: either the waker sees
// the sleeper, or the sleeper's futex_wait sees the new value).
std::uint32_t wait_change(std::atomic<std::uint32_t>& a, std::uint32_t value, std::atomic<int>& sleepers) {
  std::uint32_t now;
  for (int spins = 0; (now = a.load(std::memory_order_acquire)) == value;) {
    if (++spins < kSpins) {
      DLFS_PAUSE();
      continue;
    }
    sleepers.fetch_add(1);
    if (a.load() == value) futex_wait(a, value);
    sleepers.fetch_sub(1);
  }
  return now;
}

void bump(std::atomic<std::uint32_t>& a, std::atomic<int>& sleepers) {
  a.fetch_add(1);
  if (sleepers.load() > 0) futex_wake_all(a);
}

// The claim word: job number (32 bits) | task count (16 bits) | next unclaimed task (16 bits).
// A thread that claims task t < count of the current job knows the job cannot finish (and its
// function pointer cannot change) before it has run t.
constexpr std::uint64_t word(std::uint64_t job, std::uint64_t n, std::uint64_t next) {
  return job << 32 | n << 16 | next;
}

class Pool {
 public:
  explicit Pool(int workers) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
  }
  ~Pool() {
    stop_.store(true);
    bump(wake_, wake_sleepers_);
    for (auto& t : threads_) t.join();
  }
  int size() const { return static_cast<int>(threads_.size()) + 1; }

  void run(int n, void (*call)(void*, int), void* ctx) {
    const std::uint64_t job = ++job_;
    call_ = call;
    ctx_ = ctx;
    error_ = nullptr;
    done_.store(0, std::memory_order_relaxed);
    claim_.store(word(job, std::uint64_t(n), 0), std::memory_order_release);
    bump(wake_, wake_sleepers_);
    drain(job);
    for (std::uint32_t finished; (finished = done_.load(std::memory_order_acquire)) != std::uint32_t(n);)
      wait_change(done_, finished, done_sleepers_);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  // Claims and runs tasks of `job` until none is left.
  void drain(std::uint64_t job) {
    std::uint64_t w = claim_.load(std::memory_order_acquire);
    for (;;) {
      if (w >> 32 != (job & 0xFFFFFFFFu)) return;  // a later job already
      const std::uint64_t n = (w >> 16) & 0xFFFF, t = w & 0xFFFF;
      if (t >= n) return;
      if (!claim_.compare_exchange_weak(w, w + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      t_in_task = true;
      try {
        call_(ctx_, static_cast<int>(t));
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex_);
        if (!error_) error_ = std::current_exception();
      }
      t_in_task = false;
      done_.fetch_add(1);
      if (done_sleepers_.load() > 0) futex_wake_all(done_);
      w = claim_.load(std::memory_order_acquire);
    }
  }

  void work() {
    // 0, not wake_'s current value: a thread that starts late must still see every bump made
    // since the pool was created, the destructor's included.
    std::uint32_t seen = 0;
    for (;;) {
      seen = wait_change(wake_, seen, wake_sleepers_);
      if (stop_.load()) return;
      drain(claim_.load(std::memory_order_acquire) >> 32);
    }
  }

  std::vector<std::thread> threads_;
  std::atomic<std::uint64_t> claim_{0};
  std::atomic<std::uint32_t> wake_{0}, done_{0};  // futex words
  std::atomic<int> wake_sleepers_{0}, done_sleepers_{0};
  std::atomic<bool> stop_{false};
  std::uint64_t job_ = 0;  // caller only
  void (*call_)(void*, int) = nullptr;
  void* ctx_ = nullptr;
  std::mutex error_mutex_;
  std::exception_ptr error_;
};

std::mutex g_pool_mutex;  // one job at a time, and pool (re)creation
std::unique_ptr<Pool> g_pool;

}  // namespace

void parallel_tasks_impl(int n, void (*call)(void*, int), void* ctx) {
  const int threads = num_threads();
  n = std::min({n, threads, 0xFFFF});
  if (n <= 1 || t_in_task) {
    for (int i = 0; i < n; ++i) call(ctx, i);
    return;
  }
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  if (!g_pool || g_pool->size() != threads) {
    g_pool.reset();
    g_pool = std::make_unique<Pool>(threads - 1);
  }
  g_pool->run(n, call, ctx);
}

bool in_parallel_task() { return t_in_task; }

}  // namespace dlfs
