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
                                                             const SeismicParams& params, const StopFn& stop,
                                                             std::optional<Bm25Build> bm25) {
  if (indptr.empty() || docnos.size() != indptr.size() - 1)
    throw std::invalid_argument("docnos must hold one docno per row");
  if (bm25) {
    const Bm25Stats& st = bm25->stats;
    if (bm25->lengths.size() != docnos.size()) throw std::invalid_argument("bm25.lengths must hold one length per row");
    if (!(std::isfinite(st.avgdl) && st.avgdl > 0.0)) throw std::invalid_argument("bm25.avgdl must be a positive number");
    if (!(std::isfinite(st.k1) && st.k1 > 0.0f)) throw std::invalid_argument("bm25.k1 must be a positive number");
    if (!(st.b >= 0.0f && st.b <= 1.0f)) throw std::invalid_argument("bm25.b must be in [0, 1]");
  }
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
  // the index is built from the rounded weights, so summaries bound what the rows score. A BM25
  // segment stores term frequencies as they are (the scale is for its plain-weight rows only) and
  // builds its index over the BM25 weights of the stored frequencies at its own average length,
  // in collection units (the arithmetic of RowScoring).
  if (bm25) o.lengths = std::move(bm25->lengths);
  auto is_tf_row = [&](size_t r) { return bm25 && o.lengths[r] != kNoLength; };
  float max_value = 0.0f;
  for (size_t r = 0; r < rows; r++)
    if (!is_tf_row(r))
      for (size_t i = o.indptr[r]; i < o.indptr[r + 1]; i++) max_value = std::max(max_value, values[i]);
  int32_t exp = max_value > 0.0f ? std::ilogb(max_value) - 14 : 0;
  o.values.resize(values.size());
  RowScoring own;
  if (bm25) {
    o.lengths.reserve(1);  // non-null even with no rows: IsBm25() tests the pointer
    seg->forward_.lengths = o.lengths.data();
    seg->forward_.bm25 = bm25->stats;
    seg->forward_.value_exp = exp;
    own = seg->forward_.Scoring(0.0);
  }
  for (size_t r = 0; r < rows; r++) {
    bool tf_row = is_tf_row(r);
    float norm = tf_row ? own.Norm(o.lengths[r]) : 0.0f;
    for (size_t i = o.indptr[r]; i < o.indptr[r + 1]; i++) {
      if (tf_row) {
        o.values[i] = FloatToHalf(std::min(values[i], 65504.0f));
        float tf = HalfToFloat(o.values[i]);
        values[i] = tf / (tf + norm);
      } else {
        o.values[i] = FloatToHalf(std::ldexp(values[i], -exp));
        values[i] = bm25 ? std::ldexp(HalfToFloat(o.values[i]), exp) : HalfToFloat(o.values[i]);
      }
    }
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
  seg->BuildLists();
  return seg;
}

std::shared_ptr<const SeismicSegment> SeismicSegment::Load(const std::string& path) {
  LoadedSeismic loaded = LoadSeismic(path);
  auto seg = std::make_shared<SeismicSegment>();
  seg->storage_ = loaded.file;
  seg->forward_ = loaded.forward;
  seg->index_ = loaded.index;
  seg->calibration_ = loaded.calibration;
  seg->BuildLists();
  return seg;
}

void SeismicSegment::BuildLists() {
  if (!Exhaustive()) return;
  lists_ = forward_.Visit([&](const auto& rows) { return TransposeRows(rows, forward_.terms.size()); });
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

int64_t SeismicSegment::Local(TermId term) const {
  std::span<const TermId> dict = forward_.terms;
  auto d = std::lower_bound(dict.begin(), dict.end(), term);
  return d == dict.end() || *d != term ? -1 : d - dict.begin();
}

size_t SeismicSegment::ListPostings(TermId term) const {
  int64_t found = Local(term);
  if (found < 0) return 0;
  uint32_t local = static_cast<uint32_t>(found);
  if (Exhaustive()) return lists_.Len(local);
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
  // A BM25 segment scores in collection units: its own scoring unless the caller gave one.
  SeismicQueryOptions local = opts;
  if (forward_.IsBm25() && !local.scoring.Bm25()) local.scoring = Scoring(0.0);
  LocalQuery lq = ToLocal(queries, q);
  int32_t exp = forward_.IsBm25() ? 0 : forward_.value_exp;
  local.threshold = std::ldexp(opts.threshold, -exp);
  if (Exhaustive())
    return Scaled(TermListsSearch(lists_, forward_.docnos, lq.terms, lq.values, lq.len, local.k, local.threshold,
                                  local.filter, stats, local.scoring),
                  exp);
  return Scaled(forward_.Visit([&](const auto& rows) {
                  return SeismicSearch(index_, rows, forward_.docnos, lq.terms, lq.values, lq.len, local, stats);
                }),
                exp);
}

std::vector<Hit> SeismicSegment::SearchExact(const CsrView& queries, size_t q, size_t k, float threshold,
                                             const DocFilter& filter, QueryStats* stats, double live_avgdl) const {
  return Scan(queries, q, k, threshold, filter, stats, Scoring(live_avgdl));
}

std::vector<Hit> SeismicSegment::Scan(const CsrView& queries, size_t q, size_t k, float threshold,
                                      const DocFilter& filter, QueryStats* stats, const RowScoring& scoring) const {
  LocalQuery lq = ToLocal(queries, q);
  int32_t exp = forward_.IsBm25() ? 0 : forward_.value_exp;
  float local = std::ldexp(threshold, -exp);
  return Scaled(forward_.Visit([&](const auto& rows) {
                  return SeismicScan(rows, forward_.docnos, lq.terms, lq.values, lq.len, k, local, filter, stats, scoring);
                }),
                exp);
}

}  // namespace sparrow
