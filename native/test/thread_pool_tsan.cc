// ThreadSanitizer: the search pool and background threads (thread_pool.h) used from several threads at
// once, as the addon does: concurrent ForEachAsync batches, resizing while busy, errors, background
// jobs with ParallelFor inside, Shutdown and the lazy restart after it, env user counting.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "check.h"
#include "thread_pool.h"

using namespace sparrow;

// A one-shot latch the `done` callback opens.
struct Latch {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::exception_ptr err;
  void Open(std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(mu);
    err = e;
    open = true;
    cv.notify_all();
  }
  std::exception_ptr Wait() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return open; });
    return err;
  }
};

// One batch: every slot written by exactly one task (plain writes: TSan checks they are ordered
// before `done` and the waiter's reads).
static void Batch(ThreadPool& pool, size_t n, size_t seed) {
  std::vector<size_t> out(n, 0);
  Latch latch;
  pool.ForEachAsync(n, [&](size_t i) { out[i] = i * 3 + seed; }, [&](std::exception_ptr e) { latch.Open(e); });
  CHECK(latch.Wait() == nullptr);
  for (size_t i = 0; i < n; i++) CHECK(out[i] == i * 3 + seed, "slot %zu", i);
}

static void ConcurrentBatches(ThreadPool& pool) {
  std::vector<std::thread> callers;
  for (size_t c = 0; c < 4; c++)
    callers.emplace_back([&pool, c] {
      for (size_t round = 0; round < 50; round++) Batch(pool, 1 + (round * 7 + c) % 40, c);
    });
  // Resize while the batches run: never waits, surplus threads retire when idle.
  std::thread resizer([&pool] {
    for (size_t i = 0; i < 40; i++) pool.SetThreads(1 + i % 4);
  });
  for (auto& t : callers) t.join();
  resizer.join();
  CHECK(pool.Threads() >= 1);
}

static void Errors(ThreadPool& pool) {
  std::atomic<size_t> ran{0};
  Latch latch;
  pool.ForEachAsync(
      100,
      [&](size_t i) {
        ran.fetch_add(1);
        if (i == 5) throw std::runtime_error("task 5");
      },
      [&](std::exception_ptr e) { latch.Open(e); });
  std::exception_ptr err = latch.Wait();
  CHECK(err != nullptr);
  try {
    if (err) std::rethrow_exception(err);
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) == "task 5");
  }
  CHECK(ran.load() <= 100);
  Latch empty;
  pool.ForEachAsync(0, [](size_t) {}, [&](std::exception_ptr e) { empty.Open(e); });
  CHECK(empty.Wait() == nullptr);
}

static void Background(ThreadPool& pool) {
  std::vector<std::vector<int>> results(6);
  std::atomic<int> finished{0};
  for (size_t j = 0; j < results.size(); j++) {
    pool.RunBackground([&results, &finished, j] {
      std::vector<int>& r = results[j];
      r.assign(500, 0);
      ParallelFor(r.size(), 3, [&](size_t i) { r[i] = static_cast<int>(i + j); });
      finished.fetch_add(1, std::memory_order_release);
    });
  }
  // A job that polls StopRequested, as builds do: Shutdown must end it.
  std::atomic<bool> stopped{false};
  pool.RunBackground([&pool, &stopped] {
    while (!pool.StopRequested()) std::this_thread::yield();
    stopped.store(true);
  });
  // Searches keep going while the background jobs run.
  Batch(pool, 64, 9);
  pool.Shutdown();  // joins every background thread and the search threads
  CHECK(stopped.load());
  CHECK(finished.load() == static_cast<int>(results.size()));
  for (size_t j = 0; j < results.size(); j++)
    for (size_t i = 0; i < results[j].size(); i++) CHECK(results[j][i] == static_cast<int>(i + j), "job %zu slot %zu", j, i);
  // ParallelFor rethrows the first error.
  bool threw = false;
  try {
    ParallelFor(50, 3, [](size_t i) {
      if (i == 7) throw std::invalid_argument("seven");
    });
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  CHECK(threw);
  // The pool starts again lazily after a Shutdown.
  Batch(pool, 30, 4);
}

// Envs (the main one and workers) come and go; the pool shuts down only when the last one leaves.
static void Users(ThreadPool& pool) {
  pool.AddUser();  // the main env, there from start to end
  std::vector<std::thread> envs;
  for (int e = 0; e < 3; e++)
    envs.emplace_back([&pool, e] {
      pool.AddUser();
      Batch(pool, 20, static_cast<size_t>(e));
      pool.RemoveUser();
    });
  for (auto& t : envs) t.join();
  Batch(pool, 10, 1);
  pool.RemoveUser();
}

int main() {
  ThreadPool& pool = ThreadPool::Global();
  pool.SetThreads(3);
  ConcurrentBatches(pool);
  Errors(pool);
  Background(pool);
  Users(pool);
  return sparrow_test::Finish("thread_pool_tsan");
}
