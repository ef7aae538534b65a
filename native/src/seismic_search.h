// Seismic query processing over a SeismicView and its forward rows (pure C++).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common.h"
#include "seismic_types.h"

namespace sparrow {

struct SeismicQueryOptions {
  size_t k = 10;
  size_t query_cut = 0;     // visit the lists of this many largest query terms; 0 = all
  float heap_factor = 1.0;  // (0, 1]: skip a block when its summary score < heap_factor x k-th best
  size_t n_knn = 0;         // refine with this many kNN neighbours of each result (<= params.n_knn)
  float threshold = -std::numeric_limits<float>::infinity();  // TopK floor (other segments' k-th best)
  DocFilter filter;
  RowScoring scoring;  // how rows score (BM25 rows: lengths and the query's norm); default: plain weights
};

// One query (term-sorted, weights >= 0). `docnos` maps forward rows to collection docnos (nullptr:
// the row is the docno). Results in rank order (score desc, docno asc). Thread-safe: per-thread
// scratch; the view and rows are read only.
// Rows: a segment's HalfRows16 / HalfRows32, or CsrView (rows being built); the view's term ids
// and the query's are in the same (segment-local) id space.
template <typename Rows>
std::vector<Hit> SeismicSearch(const SeismicView& index, const Rows& rows, const DocNo* docnos, const TermId* q_terms,
                               const float* q_values, size_t q_len, const SeismicQueryOptions& opts, QueryStats* stats);

// Every row scored exactly (the oracle, and the search of an exhaustive segment): the same
// arithmetic as DotRow (equal scores bit for bit), through the query's dense weights and the SIMD
// gather. Results in rank order; stats count every row accepted by the filter.
template <typename Rows>
std::vector<Hit> SeismicScan(const Rows& rows, const DocNo* docnos, const TermId* q_terms, const float* q_values,
                             size_t q_len, size_t k, float threshold, const DocFilter& filter, QueryStats* stats,
                             const RowScoring& scoring = {});

// The inner product of forward row r with a query, summed in ascending term order in float: the
// same arithmetic as exact search, so pruning-disabled results equal exact results bit for bit.
template <typename Rows>
float DotRow(const Rows& rows, size_t r, const TermId* q_terms, const float* q_values, size_t q_len);

}  // namespace sparrow
