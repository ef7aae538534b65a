// Exact (exhaustive, forward) search; see exact_search.h.
#include "exact_search.h"

namespace sparrow {

namespace {
thread_local std::vector<float> dense_query;
}  // namespace

float* DenseQuery::Load(const LocalQuery& query, size_t vocab) {
  if (dense_query.size() < vocab) dense_query.resize(vocab, 0.0f);
  for (const auto& [term, weight] : query) dense_query[term] = weight;
  return dense_query.data();
}

void DenseQuery::Clear(const LocalQuery& query) {
  for (const auto& [term, weight] : query) dense_query[term] = 0.0f;
}

std::vector<Hit> ExactSearch(const ForwardIndex& index, const LocalQuery& query, size_t k, float threshold,
                             const DocFilter& filter, QueryStats* stats) {
  TopK top(k, threshold);
  if (query.empty()) return top.Take();
  const float* q = DenseQuery::Load(query, index.VocabSize());
  const uint64_t* indptr = index.indptr().data();
  const uint32_t* terms = index.terms().data();
  const float* values = index.values().data();
  const DocNo* docnos = index.docnos().data();
  bool filtered = filter.tombstones != nullptr || filter.allow != nullptr;
  size_t n = index.NumDocs();
  uint64_t scored = 0;
  for (size_t r = 0; r < n; ++r) {
    if (filtered && !filter.Accept(docnos[r])) continue;
    float s = 0.0f;
    for (uint64_t j = indptr[r], end = indptr[r + 1]; j < end; ++j) s += q[terms[j]] * values[j];
    ++scored;
    if (s > 0.0f) top.Push(s, docnos[r]);
  }
  DenseQuery::Clear(query);
  if (stats != nullptr) {
    stats->docs_scored += scored;
    stats->postings_total += index.Nnz();
  }
  return top.Take();
}

}  // namespace sparrow
