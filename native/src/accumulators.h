// Term-at-a-time accumulators: one float per row, all zero between queries (pure C++). Shared by the
// exhaustive inverted index (inverted_index.h) and the term lists of exhaustive Seismic segments
// (term_lists.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sparrow {

class Accumulators {
 public:
  // The calling thread's accumulators, for rows [0, rows): zero, no row recorded.
  static Accumulators& ForThread(size_t rows) {
    thread_local Accumulators acc;
    if (acc.sums_.size() < rows) acc.sums_.resize(rows, 0.0f);
    return acc;
  }
  // sums[row] += product, in call order (a row's sum is its products added in the order given). A
  // row is recorded once, when its sum first leaves zero: products are >= 0 (or NaN), so a sum
  // never returns to zero, and rows left at zero need no reset.
  void Add(uint32_t row, float product) {
    float before = sums_[row];
    float after = before + product;
    sums_[row] = after;
    if (before == 0.0f && after != 0.0f) touched_.push_back(row);
  }
  size_t Touched() const { return touched_.size(); }
  // f(row, sum) for every recorded row (in the order they were recorded), then every sum back to zero.
  template <typename F>
  void Drain(F&& f) {
    for (uint32_t row : touched_) {
      f(row, sums_[row]);
      sums_[row] = 0.0f;
    }
    touched_.clear();
  }

 private:
  std::vector<float> sums_;
  std::vector<uint32_t> touched_;
};

}  // namespace sparrow
