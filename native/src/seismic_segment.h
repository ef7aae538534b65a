// A sealed Seismic segment: forward rows + blocked index, built in memory or mapped from a file.
// Immutable once constructed: any number of threads may search it at once.
#pragma once

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "seismic_build.h"
#include "seismic_file.h"
#include "seismic_search.h"

namespace sparrow {

class SeismicSegment {
 public:
  // Takes the rows (validated: term-sorted, weights >= 0) and their docnos (one per row).
  static std::shared_ptr<const SeismicSegment> Build(std::vector<uint32_t> indptr, std::vector<TermId> indices,
                                                      std::vector<float> values, std::vector<DocNo> docnos,
                                                      const SeismicParams& params, const StopFn& stop = {});
  static std::shared_ptr<const SeismicSegment> Load(const std::string& path);

  std::vector<Hit> Search(const CsrView& queries, size_t q, const SeismicQueryOptions& opts, QueryStats* stats) const;
  // Every row scored exactly (SeismicScan): the oracle for this segment.
  std::vector<Hit> SearchExact(const CsrView& queries, size_t q, size_t k, float threshold, const DocFilter& filter,
                               QueryStats* stats) const;
  // `calibration`: see SaveSeismic (the segment itself stays immutable; the caller holds the blob).
  void Save(const std::string& path, std::string_view calibration) const {
    SaveSeismic(path, forward_, index_, calibration);
  }
  // The calibration blob of a loaded segment (empty for a built one).
  std::string_view Calibration() const { return calibration_; }

  // Postings of the list of collection term `term` (0 when the segment keeps none): a cost estimate.
  size_t ListPostings(TermId term) const;
  bool Exhaustive() const { return index_.layout == SeismicLayout::kExhaustive; }
  const ForwardView& Forward() const { return forward_; }
  const SeismicView& Index() const { return index_; }
  size_t NumRows() const { return forward_.NumRows(); }
  size_t Nnz() const { return forward_.Nnz(); }
  size_t IndexBytes() const { return index_.Bytes(); }
  // Rows (offsets, local ids, binary16 weights), docnos and the term dictionary.
  size_t ForwardBytes() const {
    size_t term_bytes = forward_.IsNarrow() ? sizeof(uint16_t) : sizeof(uint32_t);
    return (NumRows() + 1) * 4 + Nnz() * (term_bytes + sizeof(Half)) + NumRows() * sizeof(DocNo) +
           forward_.terms.size_bytes();
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

  struct Owned {
    std::vector<uint32_t> indptr;
    std::vector<uint32_t> indices;  // local ids: until the build ends, or for good past 65,536 terms
    std::vector<uint16_t> indices16;
    std::vector<Half> values;
    std::vector<DocNo> docnos;
    std::vector<TermId> terms;
    SeismicData data;
  };
  std::variant<std::monostate, Owned, std::shared_ptr<const MappedFile>> storage_;
  ForwardView forward_;
  SeismicView index_;
  std::string_view calibration_;  // into the mapping
};

}  // namespace sparrow
