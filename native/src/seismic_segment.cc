// A sealed Seismic segment (see seismic_segment.h).
#include "seismic_segment.h"

#include <algorithm>
#include <stdexcept>

namespace sparrow {

std::shared_ptr<const SeismicSegment> SeismicSegment::Build(std::vector<uint32_t> indptr, std::vector<TermId> indices,
                                                             std::vector<float> values, std::vector<DocNo> docnos,
                                                             const SeismicParams& params, const StopFn& stop) {
  if (indptr.empty() || docnos.size() != indptr.size() - 1)
    throw std::invalid_argument("docnos must hold one docno per row");
  auto seg = std::make_shared<SeismicSegment>();
  Owned& o = seg->storage_.emplace<Owned>();
  o.indptr = std::move(indptr);
  o.indices = std::move(indices);
  o.values = std::move(values);
  o.docnos = std::move(docnos);
  size_t rows = o.indptr.size() - 1;
  o.data = BuildSeismic(CsrView{o.indptr.data(), o.indices.data(), o.values.data(), rows}, params, stop);
  seg->index_ = o.data.View();
  seg->forward_.docnos = o.docnos.data();
  // 16-bit term ids when every id allows it (the build reads the 32-bit rows, then they go).
  if (std::all_of(o.indices.begin(), o.indices.end(), [](TermId t) { return t < 65536; })) {
    o.indices16.assign(o.indices.begin(), o.indices.end());
    // ForwardView::IsNarrow() tests the pointer: rows that are all empty still need a non-null one,
    // or the segment reads as 0 rows (and its saved file as damaged).
    o.indices16.reserve(1);
    std::vector<TermId>().swap(o.indices);
    seg->forward_.narrow = NarrowRows{o.indptr.data(), o.indices16.data(), o.values.data(), rows};
  } else {
    seg->forward_.wide = CsrView{o.indptr.data(), o.indices.data(), o.values.data(), rows};
  }
  return seg;
}

std::shared_ptr<const SeismicSegment> SeismicSegment::Load(const std::string& path) {
  LoadedSeismic loaded = LoadSeismic(path);
  auto seg = std::make_shared<SeismicSegment>();
  seg->storage_ = loaded.file;
  seg->forward_ = loaded.forward;
  seg->index_ = loaded.index;
  seg->calibration_ = loaded.calibration;
  return seg;
}

std::vector<Hit> SeismicSegment::Search(const CsrView& queries, size_t q, const SeismicQueryOptions& opts,
                                        QueryStats* stats) const {
  if (index_.layout == SeismicLayout::kExhaustive) return SearchExact(queries, q, opts.k, opts.threshold, opts.filter, stats);
  size_t begin = queries.indptr[q];
  return forward_.Visit([&](const auto& rows) {
    return SeismicSearch(index_, rows, forward_.docnos, queries.indices + begin, queries.values + begin, queries.RowLen(q),
                         opts, stats);
  });
}

std::vector<Hit> SeismicSegment::SearchExact(const CsrView& queries, size_t q, size_t k, float threshold,
                                             const DocFilter& filter, QueryStats* stats) const {
  size_t begin = queries.indptr[q], len = queries.RowLen(q);
  return forward_.Visit([&](const auto& rows) {
    return SeismicScan(rows, forward_.docnos, queries.indices + begin, queries.values + begin, len, k, threshold, filter,
                       stats);
  });
}

}  // namespace sparrow
