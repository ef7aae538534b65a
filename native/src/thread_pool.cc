// The process-wide search pool and background threads (see thread_pool.h).
#include "thread_pool.h"

#include <algorithm>

#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace sparrow {

ThreadPool& ThreadPool::Global() {
  // Leaked on purpose: no static destructor may run while a thread is still joinable.
  static ThreadPool* pool = new ThreadPool();
  return *pool;
}

void LowerThreadPriority() {
#if defined(__linux__)
  // On Linux, nice applies per thread when given the thread id.
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
#endif
}

void ThreadPool::StartLocked(size_t n) {
  quit_workers_ = false;
  stop_.store(false, std::memory_order_relaxed);
  for (size_t i = 0; i < n; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  active_ += n;
  running_ = true;
}

void ThreadPool::StopLocked(std::unique_lock<std::mutex>& lock) {
  quit_workers_ = true;
  cv_.notify_all();
  std::vector<std::thread> workers = std::move(workers_);
  workers_.clear();
  lock.unlock();
  for (auto& t : workers) t.join();
  lock.lock();
  running_ = false;
  active_ = 0;
  excess_ = 0;
}

void ThreadPool::WorkerLoop() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return quit_workers_ || excess_ > 0 || !queue_.empty(); });
      if (excess_ > 0) {  // the pool shrank: this thread retires (joined by StopLocked)
        --excess_;
        --active_;
        return;
      }
      if (queue_.empty()) return;  // quit_workers_ and nothing left to do
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();  // tasks never throw: ForEachAsync wraps them
  }
}

void ThreadPool::SetThreads(size_t n) {
  n = std::max<size_t>(1, n);
  std::unique_lock<std::mutex> lock(mu_);
  target_threads_ = n;
  if (!running_) return;
  // Never waits for running tasks: extra threads retire when idle, missing ones start now.
  size_t live = active_ - excess_;
  if (n < live) {
    excess_ += live - n;
    cv_.notify_all();
  } else if (n > live) {
    size_t revive = std::min(excess_, n - live);
    excess_ -= revive;
    StartLocked(n - live - revive);
  }
}

size_t ThreadPool::Threads() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (target_threads_ != 0) return target_threads_;
  return std::max<unsigned>(1, std::thread::hardware_concurrency());
}

void ThreadPool::Submit(std::function<void()> task) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!running_) {
    size_t n = target_threads_ != 0 ? target_threads_ : std::max<unsigned>(1, std::thread::hardware_concurrency());
    StartLocked(n);
  }
  queue_.push_back(std::move(task));
  cv_.notify_one();
}

namespace {
// Hands out indices [0, n) to any number of threads; keeps the first exception and stops early.
struct IndexClaimer {
  size_t n = 0;
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex err_mu;
  std::exception_ptr err;

  void Run(const std::function<void(size_t)>& fn) {
    for (;;) {
      size_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= n || failed.load(std::memory_order_relaxed)) return;
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(err_mu);
        if (!err) err = std::current_exception();
        failed.store(true, std::memory_order_relaxed);
      }
    }
  }
};

struct ForEachState {
  IndexClaimer claimer;
  std::function<void(size_t)> fn;
  std::function<void(std::exception_ptr)> done;
  std::atomic<size_t> workers_left{0};

  // The last worker out calls done.
  void Work() {
    claimer.Run(fn);
    if (workers_left.fetch_sub(1, std::memory_order_acq_rel) == 1) done(claimer.err);
  }
};
}  // namespace

void ThreadPool::ForEachAsync(size_t n, std::function<void(size_t)> fn, std::function<void(std::exception_ptr)> done) {
  if (n == 0) {
    done(nullptr);
    return;
  }
  auto state = std::make_shared<ForEachState>();
  state->claimer.n = n;
  state->fn = std::move(fn);
  state->done = std::move(done);
  size_t workers = std::min(n, Threads());
  state->workers_left.store(workers, std::memory_order_relaxed);
  for (size_t w = 0; w < workers; ++w) Submit([state] { state->Work(); });
}

void ThreadPool::ReapBackground(bool all) {
  std::vector<Background> to_join;
  {
    std::lock_guard<std::mutex> lock(bg_mu_);
    auto keep = background_.begin();
    for (auto& b : background_) {
      if (all || b.finished->load(std::memory_order_acquire)) {
        to_join.push_back(std::move(b));
      } else {
        // Never self-move-assign: assigning to a joinable std::thread calls std::terminate.
        if (&*keep != &b) *keep = std::move(b);
        ++keep;
      }
    }
    background_.erase(keep, background_.end());
  }
  for (auto& b : to_join) b.thread.join();
}

void ThreadPool::RunBackground(std::function<void()> task) {
  ReapBackground(false);
  auto finished = std::make_shared<std::atomic<bool>>(false);
  std::thread t([task = std::move(task), finished] {
    LowerThreadPriority();
    task();
    finished->store(true, std::memory_order_release);
  });
  std::lock_guard<std::mutex> lock(bg_mu_);
  background_.push_back(Background{std::move(t), finished});
}

void ThreadPool::Shutdown() {
  stop_.store(true, std::memory_order_relaxed);
  ReapBackground(true);
  std::unique_lock<std::mutex> lock(mu_);
  if (running_) StopLocked(lock);
  stop_.store(false, std::memory_order_relaxed);
}

void ThreadPool::AddUser() {
  std::lock_guard<std::mutex> lock(mu_);
  ++users_;
}

void ThreadPool::RemoveUser() {
  bool last;
  {
    std::lock_guard<std::mutex> lock(mu_);
    last = --users_ <= 0;
    if (users_ < 0) users_ = 0;
  }
  if (last) Shutdown();
}

void ParallelFor(size_t n, size_t threads, const std::function<void(size_t)>& fn) {
  threads = std::max<size_t>(1, std::min(threads, n));
  IndexClaimer claimer;
  claimer.n = n;
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < threads; ++t) helpers.emplace_back([&] {
    LowerThreadPriority();
    claimer.Run(fn);
  });
  claimer.Run(fn);
  for (auto& h : helpers) h.join();
  if (claimer.err) std::rethrow_exception(claimer.err);
}

}  // namespace sparrow
