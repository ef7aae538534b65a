// Internal to the Seismic build: term dictionary, and the blocks + summaries of one posting list.
#pragma once

#include <cstddef>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "common.h"
#include "seismic_types.h"

namespace sparrow {

// The segment's distinct term ids, ascending; Local(t) is t's rank among them. A dense lookup
// array only when the largest id is small next to the segment (never per possible 2^32 term).
class TermDict {
 public:
  explicit TermDict(const CsrView& docs);
  size_t Size() const { return terms_.size(); }
  TermId Global(uint32_t local) const { return terms_[local]; }
  uint32_t Local(TermId t) const {  // t must occur in the segment
    if (!dense_.empty()) return dense_[t];
    return static_cast<uint32_t>(std::lower_bound(terms_.begin(), terms_.end(), t) - terms_.begin());
  }
  TermId MaxTerm() const { return terms_.empty() ? 0 : terms_.back(); }

 private:
  std::vector<TermId> terms_;
  std::vector<uint32_t> dense_;  // term -> local, when used
};

// Each row's `cut` largest entries (local term ids, by value descending, ties by position): the
// first doc_cut assign rows to centroids; all of them give block summaries their fast path.
struct DocTops {
  size_t cut = 0;
  size_t cluster_cut = 0;       // entries used by clustering (doc_cut)
  std::vector<uint32_t> local;  // rows x cut
  std::vector<float> value;     // rows x cut
  std::vector<uint8_t> len;     // rows: entries held (min(row length, cut))
};
// Entries per row kept for summaries: a block's summary is computed from them alone whenever that
// provably gives the summary of the whole rows (BlockBuilder::Summarise).
constexpr size_t kSummaryTops = 24;
DocTops ComputeDocTops(const CsrView& docs, const TermDict& dict, size_t cluster_cut, size_t threads);

// One list's blocks: rows grouped by block, and one quantised summary per block.
struct ListOut {
  std::vector<uint32_t> block_sizes;
  std::vector<uint32_t> rows;
  std::vector<uint32_t> summary_sizes;
  std::vector<TermId> summary_terms;
  std::vector<uint8_t> summary_codes;
  std::vector<float> summary_min, summary_scale;
};

// Per-thread workspace sized to the segment's dictionary.
class BlockBuilder {
 public:
  // fast_summaries = false: every summary from the whole rows (the reference the fast path is tested against).
  BlockBuilder(const CsrView& docs, const TermDict& dict, const DocTops& tops, const SeismicParams& params,
               bool fast_summaries = true);
  // `rows`: the list's postings after pruning (any order). Deterministic in (list_id, rows).
  void Build(uint32_t list_id, std::vector<uint32_t> rows, ListOut& out);
  // Blocks whose summary came from the rows' top entries alone (SummariseFromTops).
  size_t FastBlocks() const { return fast_blocks_; }

 private:
  std::vector<uint32_t> Cluster(uint32_t list_id, const std::vector<uint32_t>& rows);
  void SortByWeight(uint32_t list_id, uint32_t* rows, size_t n);
  void Summarise(const uint32_t* rows, size_t n, ListOut& out);
  double CollectKeys();
  bool SummariseFromTops(const uint32_t* rows, size_t n, size_t cap);
  void Emit(size_t keep, ListOut& out);

  const CsrView& docs_;
  const TermDict& dict_;
  const DocTops& tops_;
  const SeismicParams& params_;
  struct Entry {
    uint32_t centroid;
    float weight;
    int32_t next;
  };
  std::vector<int32_t> head_;  // local term -> first entry, -1 when none
  std::vector<Entry> entries_;
  std::vector<uint32_t> touched_;
  std::vector<float> acc_;
  std::vector<float> maxv_;  // local term -> block max
  std::vector<uint64_t> keys_;
  bool fast_summaries_;
  size_t fast_blocks_ = 0;
};

// The most postings a block holds: kBlockCap x the average block (1 / centroid_fraction). Clustering
// leaves some clusters far larger than the average; those are cut (BlockBuilder::Build). Measured on
// 1M synthetic documents (500 tune queries): caps of 2x and 1.28x the average scored 2,700 and 2,300
// documents per query at recall@10 0.95 where uncut clusters needed 5,300 (README "Index benchmark").
inline constexpr double kBlockCap = 1.28;
inline size_t MaxBlockPostings(const SeismicParams& p) {
  return std::max<size_t>(2, static_cast<size_t>(std::llround(kBlockCap / p.centroid_fraction)));
}

// Quantises v[0..n) to 8 bits: value ~ min + code * scale. `upward`: never below the input.
void QuantizeSummary(const float* v, size_t n, bool upward, uint8_t* codes, float& min, float& scale);

}  // namespace sparrow
