// A sealed Seismic segment (see seismic_segment.h).
#include "seismic_segment.h"

#include <algorithm>
#include <cmath>

#include "half.h"
#include "seismic_blocks.h"
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
  o.docnos = std::move(docnos);
  size_t rows = o.indptr.size() - 1;
  // Segment-local term ids, in place (ascending collection ids -> 0, 1, ...: rows stay sorted).
  {
    TermDict dict(CsrView{o.indptr.data(), indices.data(), values.data(), rows});
    o.terms.resize(dict.Size());
    for (size_t t = 0; t < dict.Size(); t++) o.terms[t] = dict.Global(static_cast<uint32_t>(t));
    for (TermId& t : indices) t = dict.Local(t);
  }
  o.indices = std::move(indices);
  // binary16 weights under a power-of-two scale that puts the largest near 2^14 (exact to apply);
  // the index is built from the rounded weights, so summaries bound what the rows score.
  float max_value = 0.0f;
  for (float v : values) max_value = std::max(max_value, v);
  int32_t exp = max_value > 0.0f ? std::ilogb(max_value) - 14 : 0;
  o.values.resize(values.size());
  for (size_t i = 0; i < values.size(); i++) {
    o.values[i] = FloatToHalf(std::ldexp(values[i], -exp));
    values[i] = HalfToFloat(o.values[i]);
  }
  o.data = BuildSeismic(CsrView{o.indptr.data(), o.indices.data(), values.data(), rows}, params, stop);
  std::vector<float>().swap(values);
  seg->index_ = o.data.View();
  seg->forward_.docnos = o.docnos.data();
  seg->forward_.terms = o.terms;
  seg->forward_.value_exp = exp;
  if (o.terms.size() <= 65536) {
    o.indices16.assign(o.indices.begin(), o.indices.end());
    // ForwardView::IsNarrow() tests the pointer: rows that are all empty still need a non-null one,
    // or the segment reads as 0 rows (and its saved file as damaged).
    o.indices16.reserve(1);
    std::vector<uint32_t>().swap(o.indices);
    seg->forward_.narrow = HalfRows16{o.indptr.data(), o.indices16.data(), o.values.data(), rows};
  } else {
    seg->forward_.wide = HalfRows32{o.indptr.data(), o.indices.data(), o.values.data(), rows};
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

SeismicSegment::LocalQuery SeismicSegment::ToLocal(const CsrView& queries, size_t q) const {
  thread_local std::vector<uint32_t> terms;
  thread_local std::vector<float> values;
  terms.clear();
  values.clear();
  std::span<const TermId> dict = forward_.terms;
  auto from = dict.begin();
  for (size_t i = queries.indptr[q]; i < queries.indptr[q + 1]; i++) {
    from = std::lower_bound(from, dict.end(), queries.indices[i]);  // query terms ascend
    if (from == dict.end()) break;
    if (*from != queries.indices[i]) continue;
    terms.push_back(static_cast<uint32_t>(from - dict.begin()));
    values.push_back(queries.values[i]);
  }
  return {terms.data(), values.data(), terms.size()};
}

size_t SeismicSegment::ListPostings(TermId term) const {
  std::span<const TermId> dict = forward_.terms;
  auto d = std::lower_bound(dict.begin(), dict.end(), term);
  if (d == dict.end() || *d != term) return 0;
  uint32_t local = static_cast<uint32_t>(d - dict.begin());
  const SeismicView& ix = index_;
  auto it = std::lower_bound(ix.list_terms.begin(), ix.list_terms.end(), local);
  if (it == ix.list_terms.end() || *it != local) return 0;
  size_t list = static_cast<size_t>(it - ix.list_terms.begin());
  return ix.block_postings[ix.list_blocks[list + 1]] - ix.block_postings[ix.list_blocks[list]];
}

namespace {
// Scores leave the segment in collection units (x 2^exp: exact, a power of two).
std::vector<Hit> Scaled(std::vector<Hit> hits, int32_t exp) {
  for (Hit& h : hits) h.score = std::ldexp(h.score, exp);
  return hits;
}
}  // namespace

std::vector<Hit> SeismicSegment::Search(const CsrView& queries, size_t q, const SeismicQueryOptions& opts,
                                        QueryStats* stats) const {
  if (index_.layout == SeismicLayout::kExhaustive) return SearchExact(queries, q, opts.k, opts.threshold, opts.filter, stats);
  LocalQuery lq = ToLocal(queries, q);
  SeismicQueryOptions local = opts;
  local.threshold = std::ldexp(opts.threshold, -forward_.value_exp);
  return Scaled(forward_.Visit([&](const auto& rows) {
                  return SeismicSearch(index_, rows, forward_.docnos, lq.terms, lq.values, lq.len, local, stats);
                }),
                forward_.value_exp);
}

std::vector<Hit> SeismicSegment::SearchExact(const CsrView& queries, size_t q, size_t k, float threshold,
                                             const DocFilter& filter, QueryStats* stats) const {
  LocalQuery lq = ToLocal(queries, q);
  float local = std::ldexp(threshold, -forward_.value_exp);
  return Scaled(forward_.Visit([&](const auto& rows) {
                  return SeismicScan(rows, forward_.docnos, lq.terms, lq.values, lq.len, k, local, filter, stats);
                }),
                forward_.value_exp);
}

}  // namespace sparrow
