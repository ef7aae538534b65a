// One query over several sealed Seismic segments, as one search (pure C++, no N-API).
//
// The segments share one k-th-score threshold (MergedTopK): each segment search starts from the
// k-th best score merged so far (the caller's floor, e.g. the mutable segment's, at first), so a
// later segment skips what cannot enter the final top-k. Segments are ordered largest first (the
// largest raises the threshold the most). The per-segment search itself is SeismicSegment::Search
// (or SearchExact): this file only drives it.
//
// How to use:
//   std::vector<SegmentQuery> parts = ...;  OrderLargestFirst(parts);
//   MergedTopK merged(k, floor);
//   for (auto& p : parts) SearchSegmentInto(p, queries, q, opts, merged);   // one thread, or
//   // from several threads at once (MergedTopK is thread-safe; each call reads the threshold now)
//   std::vector<Hit> hits = merged.Take();
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "common.h"
#include "row_bitmap.h"
#include "seismic_segment.h"

namespace sparrow {

// One segment of a multi-segment search, with its own settings, deleted rows and filter.
struct SegmentQuery {
  std::shared_ptr<const SeismicSegment> segment;
  RowBitmap::Snapshot deleted;  // rows never returned (may be null)
  RowBitsView deleted_view;     // of `deleted` (set by SetDeleted)
  // Only these rows are returned (a filter's allowed rows of this segment), when has_allow; the
  // words belong to the caller, who keeps them alive and unchanged until the search has ended.
  RowWordsView allow_view;
  bool has_allow = false;
  size_t query_cut = 0;
  float heap_factor = 1.0f;
  size_t n_knn = 0;
  bool exact = false;  // every row scored, whatever the search's options say
  void SetDeleted(RowBitmap::Snapshot s) {
    deleted = std::move(s);
    deleted_view = deleted ? deleted->View() : RowBitsView{};
  }
};

struct MultiSearchOptions {
  size_t k = 10;
  bool exact = false;                 // every row scored (the oracle)
  double avgdl = 0.0;                 // the collection's live average length for BM25 segments (0: each its own)
};

// The merged top-k of one query and the threshold it implies; safe to share between threads.
class MergedTopK {
 public:
  MergedTopK(size_t k, float floor) : top_(k, floor), threshold_(floor) {}
  float Threshold() const { return threshold_.load(std::memory_order_acquire); }
  void Add(const std::vector<Hit>& hits, const QueryStats& stats);
  std::vector<Hit> Take();
  QueryStats Stats() const;

 private:
  mutable std::mutex mu_;
  TopK top_;
  std::atomic<float> threshold_;
  QueryStats stats_;
};

// Sorts parts by row count, descending (ties: the given order).
void OrderLargestFirst(std::vector<SegmentQuery>& parts);

// Searches query q of `queries` in one segment from merged's threshold now, and merges its hits.
void SearchSegmentInto(const SegmentQuery& part, const CsrView& queries, size_t q, const MultiSearchOptions& opts,
                       MergedTopK& merged);

// The work of query q over every part, in one unit: the cost of one posting scored term at a time
// (an exhaustive segment's search, ~4 ns), so that one limit means one amount of time whatever the
// kind. Each kind counts what its time grows with, weighted by its cost per item relative to that
// unit, measured by `npm run bench:placement` (test/bench/placement.bench.ts; three runs at load
// average 0.5-1.1, the one-segment configurations' fits):
//   exhaustive segment  every query term's whole list (the query cut does not apply;
//                       2.5-7.4 ns a posting, median ~4.2)                              x 1
//   blocked segment     the lists of the query_cut largest query terms (summaries and
//                       the rows of the blocks they admit: 33-40 ns a cut posting)     x kWorkPerBlockedPosting
//   exact (the search's or the part's)  every forward entry (non-zero) of the
//                       segment, scanned (0.77-1.13 ns an entry; entries, not rows)    x kWorkPerExactEntry
//   every part          its fixed cost (the query mapped to its terms, its own top-k,
//                       the merge: 7.0-9.2 us)                                         + kWorkPerPart
// It decides where a one-query search runs (searchSegments, mode "auto").
constexpr double kWorkPerBlockedPosting = 9.0;
constexpr double kWorkPerExactEntry = 0.22;
constexpr double kWorkPerPart = 2000.0;
double EstimateWork(const std::vector<SegmentQuery>& parts, const CsrView& queries, size_t q, bool exact);

}  // namespace sparrow
