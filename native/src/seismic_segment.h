// A sealed Seismic segment: forward rows + blocked index, built in memory or mapped from a file.
// Immutable once constructed: any number of threads may search it at once.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "seismic_build.h"
#include "seismic_file.h"
#include "seismic_search.h"
#include "term_lists.h"

namespace sparrow {

// A BM25 segment's build input: one document length per row (kNoLength: the row holds plain
// weights, not term frequencies), k1, b and the average length to build the summaries for.
struct Bm25Build {
  std::vector<uint32_t> lengths;
  Bm25Stats stats;
};

class SeismicSegment {
 public:
  // Takes the rows (validated: term-sorted, weights >= 0) and their docnos (one per row). With
  // `bm25`, rows of a known length hold term frequencies (stored as binary16: exact up to 2048,
  // rounded above, capped at 65504); the blocked index is built over their BM25 weights at
  // bm25->stats.avgdl.
  static std::shared_ptr<const SeismicSegment> Build(std::vector<uint32_t> indptr, std::vector<TermId> indices,
                                                      std::vector<float> values, std::vector<DocNo> docnos,
                                                      const SeismicParams& params, const StopFn& stop = {},
                                                      std::optional<Bm25Build> bm25 = std::nullopt);
  static std::shared_ptr<const SeismicSegment> Load(const std::string& path);

  // BM25 segments score with opts.scoring when it is set (the caller's live statistics, see
  // Scoring), else with the segment's own average length. An exhaustive segment answers exactly,
  // term at a time over its term lists (term_lists.h: equal to SearchExact bit for bit; the query
  // knobs do not apply).
  std::vector<Hit> Search(const CsrView& queries, size_t q, const SeismicQueryOptions& opts, QueryStats* stats) const;
  // Every row scored exactly (SeismicScan): the oracle for this segment. live_avgdl: the
  // collection's average length for BM25 rows (<= 0: the segment's own).
  std::vector<Hit> SearchExact(const CsrView& queries, size_t q, size_t k, float threshold, const DocFilter& filter,
                               QueryStats* stats, double live_avgdl = 0.0) const;
  // How this segment's rows score under a live average length (<= 0: its own); plain weights
  // for a learned-sparse segment.
  RowScoring Scoring(double live_avgdl) const { return forward_.Scoring(live_avgdl); }
  // `calibration`: see SaveSeismic (the segment itself stays immutable; the caller holds the blob).
  void Save(const std::string& path, std::string_view calibration) const {
    SaveSeismic(path, forward_, index_, calibration);
  }
  // The calibration blob of a loaded segment (empty for a built one).
  std::string_view Calibration() const { return calibration_; }

  // Postings of the list of collection term `term` (0 when the segment keeps none; an exhaustive
  // segment's term list): a cost estimate.
  size_t ListPostings(TermId term) const;
  bool Exhaustive() const { return index_.layout == SeismicLayout::kExhaustive; }
  const ForwardView& Forward() const { return forward_; }
  const SeismicView& Index() const { return index_; }
  // An exhaustive segment's term lists (in memory only; empty for a blocked segment).
  const TermLists& Lists() const { return lists_; }
  size_t NumRows() const { return forward_.NumRows(); }
  size_t Nnz() const { return forward_.Nnz(); }
  size_t IndexBytes() const { return index_.Bytes(); }
  // Rows (offsets, local ids, binary16 weights), docnos and the term dictionary.
  size_t ForwardBytes() const {
    size_t term_bytes = forward_.IsNarrow() ? sizeof(uint16_t) : sizeof(uint32_t);
    size_t length_bytes = forward_.IsBm25() ? NumRows() * sizeof(uint32_t) : 0;
    return (NumRows() + 1) * 4 + Nnz() * (term_bytes + sizeof(Half)) + NumRows() * sizeof(DocNo) +
           forward_.terms.size_bytes() + length_bytes;
  }

 private:
  // Maps a query's collection term ids to this segment's local ids (terms the segment lacks are
  // dropped); the arrays are per thread and valid until the next call on the thread.
  struct LocalQuery {
    const uint32_t* terms;
    const float* values;
    size_t len;
  };
  LocalQuery ToLocal(const CsrView& queries, size_t q) const;
  // Local id of collection term `term`, or -1 when the segment lacks it.
  int64_t Local(TermId term) const;
  // Exhaustive layout: transposes the forward rows into lists_.
  void BuildLists();
  std::vector<Hit> Scan(const CsrView& queries, size_t q, size_t k, float threshold, const DocFilter& filter,
                        QueryStats* stats, const RowScoring& scoring) const;

  struct Owned {
    std::vector<uint32_t> indptr;
    std::vector<uint32_t> indices;  // local ids: until the build ends, or for good past 65,536 terms
    std::vector<uint16_t> indices16;
    std::vector<Half> values;
    std::vector<DocNo> docnos;
    std::vector<TermId> terms;
    std::vector<uint32_t> lengths;  // BM25 segments
    SeismicData data;
  };
  std::variant<std::monostate, Owned, std::shared_ptr<const MappedFile>> storage_;
  ForwardView forward_;
  SeismicView index_;
  std::string_view calibration_;  // into the mapping
  TermLists lists_;               // exhaustive layout: the forward rows transposed (not in the file)
};

}  // namespace sparrow
