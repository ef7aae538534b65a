// Exact search: every document of a forward index scored against the query (the oracle).
//
// Candidates are the documents with a positive inner product that the filter accepts; ranking is
// score descending, then docno ascending (common.h). `threshold` is the TopK floor. Scores are
// summed in ascending term order in float32, so the exhaustive inverted index (same order, only
// the zero terms skipped) returns bit-identical scores.
#pragma once

#include <vector>

#include "common.h"
#include "forward_index.h"

namespace sparrow {

std::vector<Hit> ExactSearch(const ForwardIndex& index, const LocalQuery& query, size_t k, float threshold,
                             const DocFilter& filter, QueryStats* stats);

// Scratch dense query over a local vocabulary, one per thread; all zeros between uses.
class DenseQuery {
 public:
  // Sets the query's weights; Clear() must follow before the next Load on this thread.
  static float* Load(const LocalQuery& query, size_t vocab);
  static void Clear(const LocalQuery& query);
};

}  // namespace sparrow
