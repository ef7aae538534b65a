// One query over several sealed segments (see multi_search.h).
#include "multi_search.h"

#include <algorithm>
#include <chrono>
#include <numeric>

namespace sparrow {

void MergedTopK::Add(const std::vector<Hit>& hits, const QueryStats& s) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const Hit& h : hits) top_.Push(h.score, h.docno);
  threshold_.store(top_.Threshold(), std::memory_order_release);
  stats_.lists_visited += s.lists_visited;
  stats_.blocks_scored += s.blocks_scored;
  stats_.blocks_skipped += s.blocks_skipped;
  stats_.docs_scored += s.docs_scored;
  stats_.postings_total += s.postings_total;
  stats_.micros += s.micros;
}

std::vector<Hit> MergedTopK::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  return top_.Take();
}

QueryStats MergedTopK::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void OrderLargestFirst(std::vector<SegmentQuery>& parts) {
  std::stable_sort(parts.begin(), parts.end(),
                   [](const SegmentQuery& a, const SegmentQuery& b) { return a.segment->NumRows() > b.segment->NumRows(); });
}

void SearchSegmentInto(const SegmentQuery& part, const CsrView& queries, size_t q, const MultiSearchOptions& opts,
                       MergedTopK& merged) {
  QueryStats stats;
  auto t0 = std::chrono::steady_clock::now();
  DocFilter filter{nullptr, nullptr, part.deleted ? &part.deleted_view : nullptr, part.has_allow ? &part.allow_view : nullptr};
  float threshold = merged.Threshold();
  std::vector<Hit> hits;
  if (opts.exact || part.exact) {
    hits = part.segment->SearchExact(queries, q, opts.k, threshold, filter, &stats, opts.avgdl);
  } else {
    SeismicQueryOptions o;
    o.k = opts.k;
    o.query_cut = part.query_cut;
    o.heap_factor = part.heap_factor;
    o.n_knn = part.n_knn;
    o.threshold = threshold;
    o.filter = filter;
    o.scoring = part.segment->Scoring(opts.avgdl);
    hits = part.segment->Search(queries, q, o, &stats);
  }
  stats.micros = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  merged.Add(hits, stats);
}

double EstimateWork(const std::vector<SegmentQuery>& parts, const CsrView& queries, size_t q, bool exact) {
  double total = 0.0;
  size_t begin = queries.indptr[q], len = queries.RowLen(q);
  std::vector<uint32_t> order;  // the query's terms by weight, descending: sorted only when a cut applies
  for (const SegmentQuery& p : parts) {
    total += kWorkPerPart;
    if (exact || p.exact) {
      total += kWorkPerExactEntry * static_cast<double>(p.segment->Nnz());
      continue;
    }
    // An exhaustive segment walks every query term's whole list (the query cut does not apply).
    bool exhaustive = p.segment->Exhaustive();
    size_t cut = p.query_cut == 0 || exhaustive ? len : std::min(p.query_cut, len);
    size_t postings = 0;
    if (cut == len) {
      for (size_t i = begin; i < begin + len; i++) postings += p.segment->ListPostings(queries.indices[i]);
    } else {
      if (order.empty()) {
        order.resize(len);
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(),
                         [&](uint32_t a, uint32_t b) { return queries.values[begin + a] > queries.values[begin + b]; });
      }
      for (size_t i = 0; i < cut; i++) postings += p.segment->ListPostings(queries.indices[begin + order[i]]);
    }
    total += (exhaustive ? 1.0 : kWorkPerBlockedPosting) * static_cast<double>(postings);
  }
  return total;
}

}  // namespace sparrow
