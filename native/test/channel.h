// A closable queue from one thread to others: the snapshot handoff (owner -> readers) of the
// bitmap ThreadSanitizer tests.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <utility>

namespace sparrow_test {

template <typename T>
class Channel {
 public:
  void Push(T t) {
    std::lock_guard<std::mutex> lock(mu_);
    items_.push_back(std::move(t));
    cv_.notify_one();
  }
  // Waits for an item; false once the channel is closed and drained.
  bool Pop(T& out) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return false;
    out = std::move(items_.front());
    items_.pop_front();
    return true;
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace sparrow_test
