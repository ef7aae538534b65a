// The addon's threads: one process-wide pool of search threads, and low-priority build threads.
//
// How to use (pure C++, no N-API here):
//   ThreadPool& pool = ThreadPool::Global();
//   // Search: spread n independent tasks over the pool; never blocks the caller. `done` runs once,
//   // on whichever pool thread finished last, after every fn(i) returned (or threw: the first
//   // exception is handed to `done`, the remaining tasks are skipped).
//   pool.ForEachAsync(n, [](size_t i) { ... }, [](std::exception_ptr err) { ... });
//   // A long job (segment build, file write) on its own low-priority (nice +10) thread:
//   pool.RunBackground([] { ... });
//   // Inside a background job, split work over `threads` threads (the caller is one of them):
//   ParallelFor(n, threads, [](size_t i) { ... });
//   // Long jobs should poll pool.StopRequested() and give up when it turns true (process teardown).
// Glue code never calls Shutdown(): core_glue.cc registers an env cleanup hook that does, so a
// process with an open index exits by itself. Pool size: setSearchThreads(n) from JS.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace sparrow {

class ThreadPool {
 public:
  // The process-wide pool (created on first use, never destroyed: threads are joined by Shutdown).
  static ThreadPool& Global();

  // Resizes the search pool (n >= 1) without waiting: surplus threads retire once idle.
  void SetThreads(size_t n);
  size_t Threads() const;

  // Runs fn(i) for i in [0, n) on the pool, then done(first error or nullptr). n == 0 calls done
  // at once on the calling thread. Starts the pool threads lazily (again after a Shutdown).
  void ForEachAsync(size_t n, std::function<void(size_t)> fn, std::function<void(std::exception_ptr)> done);

  // Runs a long task on a new low-priority thread (joined by Shutdown, or by a later call once it
  // has finished). The task must not throw (catch inside and report through your own channel).
  void RunBackground(std::function<void()> task);

  bool StopRequested() const { return stop_.load(std::memory_order_relaxed); }

  // Joins every thread (pending search tasks run first; background tasks are waited for).
  // Idempotent; the pool restarts lazily if used again (a new env in the same process).
  void Shutdown();

  // Env bookkeeping for the cleanup hook: the last env to leave shuts the pool down.
  void AddUser();
  void RemoveUser();

 private:
  ThreadPool() = default;
  void Submit(std::function<void()> task);
  void StartLocked(size_t n);
  void StopLocked(std::unique_lock<std::mutex>& lock);
  void WorkerLoop();
  void ReapBackground(bool all);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> workers_;
  size_t target_threads_ = 0;  // 0 = default (hardware concurrency)
  size_t active_ = 0;          // threads running WorkerLoop
  size_t excess_ = 0;          // threads asked to retire (shrinking)
  bool running_ = false;
  bool quit_workers_ = false;
  std::atomic<bool> stop_{false};
  int users_ = 0;

  struct Background {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> finished;
  };
  std::mutex bg_mu_;
  std::vector<Background> background_;
};

// Runs fn(i) for i in [0, n) on up to `threads` threads (the caller included), blocking until all
// are done; rethrows the first exception. For background jobs, not for pool tasks.
void ParallelFor(size_t n, size_t threads, const std::function<void(size_t)>& fn);

// Lowers the calling thread's scheduling priority (Linux: per-thread nice). Best effort.
void LowerThreadPriority();

}  // namespace sparrow
