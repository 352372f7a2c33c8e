// dlfs's own threads, for loops too small for BLAS's threading to pay (a batch of 100 digits is
// ~20 microseconds of work per layer). One pool of num_threads() - 1 workers that spin briefly
// between jobs and then sleep; the calling thread works too, and takes over any task no worker
// has started by the time it is free (so a busy machine costs speed, not a stall).
#pragma once
#include <cstddef>
#include <type_traits>

namespace dlfs {

// The type-erased form: call(ctx, task). (A function pointer and a context rather than
// std::function, which would allocate for a lambda capturing more than two references.)
void parallel_tasks_impl(int n, void (*call)(void*, int), void* ctx);

// Runs fn(0), ..., fn(n - 1) at once, one per thread, and returns when all have finished. n is
// capped at num_threads(); called from inside a task it runs the tasks one after another. The
// first exception thrown by a task is rethrown here once every task has finished.
template <class F>
void parallel_tasks(int n, F&& fn) {
  using Fn = std::remove_reference_t<F>;
  parallel_tasks_impl(n, [](void* ctx, int task) { (*static_cast<Fn*>(ctx))(task); },
                      const_cast<void*>(static_cast<const void*>(&fn)));
}

// Whether the calling thread is running a task of parallel_tasks.
bool in_parallel_task();

// [begin, end) of part `task` when `count` items are split into `tasks` nearly equal parts.
inline void split_range(std::size_t count, int tasks, int task, std::size_t& begin, std::size_t& end) {
  begin = count * static_cast<std::size_t>(task) / static_cast<std::size_t>(tasks);
  end = count * static_cast<std::size_t>(task + 1) / static_cast<std::size_t>(tasks);
}

}  // namespace dlfs
