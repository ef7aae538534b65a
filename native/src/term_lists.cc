// Term-at-a-time search of an exhaustive Seismic segment; see term_lists.h.
#include "term_lists.h"

#include "accumulators.h"
#include "half.h"

namespace sparrow {

template <typename Rows>
TermLists TransposeRows(const Rows& rows, size_t num_terms) {
  TermLists l;
  l.num_rows = rows.rows;
  size_t nnz = rows.indptr[rows.rows];
  l.offsets.assign(num_terms + 1, 0);
  for (size_t i = 0; i < nnz; i++) l.offsets[size_t{rows.indices[i]} + 1]++;
  for (size_t t = 0; t < num_terms; t++) l.offsets[t + 1] += l.offsets[t];
  l.rows.resize(nnz);
  l.values.resize(nnz);
  std::vector<uint32_t> fill(l.offsets.begin(), l.offsets.end() - 1);
  for (uint32_t r = 0; r < rows.rows; r++)
    for (size_t i = rows.indptr[r]; i < rows.indptr[r + 1]; i++) {
      uint32_t at = fill[rows.indices[i]]++;
      l.rows[at] = r;
      l.values[at] = rows.values[i];
    }
  return l;
}

std::vector<Hit> TermListsSearch(const TermLists& lists, const DocNo* docnos, const uint32_t* q_terms,
                                 const float* q_values, size_t q_len, size_t k, float threshold,
                                 const DocFilter& filter, QueryStats* stats, const RowScoring& scoring) {
  uint64_t visited = 0, postings = 0;
  for (size_t j = 0; j < q_len; j++)
    if (q_values[j] != 0.0f) postings += lists.Len(q_terms[j]);
  Accumulators& acc = Accumulators::ForSearch(lists.NumRows(), postings);
  // Scratch::Dot's products: w x value, or for a BM25 row w x tf / (tf + the row's norm); a
  // plain-weight row of a BM25 segment sums w x value and is scaled once at the end. Zero query
  // weights are skipped, as the gather skips them.
  for (size_t j = 0; j < q_len; j++) {
    float w = q_values[j];
    uint32_t t = q_terms[j];
    if (w == 0.0f || t + 1 >= lists.offsets.size()) continue;
    uint32_t begin = lists.offsets[t], end = lists.offsets[t + 1];
    visited++;
    const uint32_t* rows = lists.rows.data() + begin;
    const Half* values = lists.values.data() + begin;
    if (scoring.Bm25()) {
      acc.AddList(rows, end - begin, [&](size_t i) {
        uint32_t len = scoring.lengths[rows[i]];
        float x = HalfToFloat(values[i]);
        return len == kNoLength ? w * x : w * (x / (x + scoring.Norm(len)));
      });
    } else {
      acc.AddList(rows, end - begin, [&](size_t i) { return w * HalfToFloat(values[i]); });
    }
  }
  TopK top(k, threshold);
  size_t reached = acc.Drain([&](uint32_t r, float s) {
    if (scoring.Bm25() && scoring.lengths[r] == kNoLength) s *= scoring.weight_scale;
    if (s > 0.0f && s >= top.Threshold() && filter.AcceptRow(r, docnos)) top.Push(s, docnos ? docnos[r] : r);
  });
  if (stats) {
    stats->lists_visited += visited;
    stats->postings_total += postings;
    stats->docs_scored += reached;
  }
  return top.Take();
}

template TermLists TransposeRows(const HalfRows16&, size_t);
template TermLists TransposeRows(const HalfRows32&, size_t);

}  // namespace sparrow
