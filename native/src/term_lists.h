// Term-at-a-time search of an exhaustive Seismic segment (pure C++): the segment's forward rows
// transposed into one list per local term (rows ascending, with the stored binary16 values: a
// weight, or a BM25 segment's term frequency). Built in memory when the segment is built or loaded
// (the file keeps forward rows only): 4 + 2 bytes per non-zero and 4 per term.
//
// A search adds, for each query term in ascending id order, each of its postings' products to the
// row's accumulator: every row's score is the same float sum, in the same order, as SeismicScan's
// (Scratch::Dot), so results equal the forward scan's bit for bit, at the cost of the query's lists
// instead of every row.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common.h"

namespace sparrow {

struct TermLists {
  std::vector<uint32_t> offsets;  // num_terms + 1
  std::vector<uint32_t> rows;     // per list, ascending
  std::vector<Half> values;       // the forward value of each posting

  size_t NumRows() const { return num_rows; }
  size_t Len(uint32_t term) const { return term + 1 < offsets.size() ? offsets[term + 1] - offsets[term] : 0; }
  size_t Bytes() const {
    return offsets.size() * sizeof(uint32_t) + rows.size() * sizeof(uint32_t) + values.size() * sizeof(Half);
  }
  size_t num_rows = 0;
};

// The lists of forward rows over local term ids [0, num_terms).
template <typename Rows>
TermLists TransposeRows(const Rows& rows, size_t num_terms);

// One query in local term ids (ascending, weights >= 0): top-k by score among rows accepted by the
// filter with a positive score (>= threshold), in rank order, in stored units like SeismicScan
// (`scoring`: plain weights, or BM25 with the caller's norms). docnos maps rows to docnos. Stats:
// lists_visited and postings_total count the query's lists, docs_scored the rows they reached.
std::vector<Hit> TermListsSearch(const TermLists& lists, const DocNo* docnos, const uint32_t* q_terms,
                                 const float* q_values, size_t q_len, size_t k, float threshold,
                                 const DocFilter& filter, QueryStats* stats, const RowScoring& scoring = {});

}  // namespace sparrow
