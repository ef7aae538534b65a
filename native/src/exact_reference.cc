#include "exact_reference.h"

#include <algorithm>
#include <cstdint>

#include "half.h"
#include "thread_pool.h"

namespace sparrow {
namespace {

// Query term -> slot: a table when every query term is below 2^22 (vocabulary ids), else a sorted
// array behind a 2^20-bit prefilter (hashed lexical ids), so most other terms cost one bit test.
class TermSlots {
 public:
  explicit TermSlots(const CsrView& queries) {
    const size_t nnz = queries.indptr[queries.rows];
    terms_.assign(queries.indices, queries.indices + nnz);
    std::sort(terms_.begin(), terms_.end());
    terms_.erase(std::unique(terms_.begin(), terms_.end()), terms_.end());
    if (!terms_.empty() && terms_.back() < (1u << 22)) {
      table_.assign(size_t{terms_.back()} + 1, -1);
      for (size_t s = 0; s < terms_.size(); s++) table_[terms_[s]] = static_cast<int32_t>(s);
    } else {
      filter_.assign((1u << 20) / 64, 0);
      for (TermId t : terms_) filter_[(t & 0xfffff) >> 6] |= uint64_t{1} << (t & 63);
    }
  }
  size_t Size() const { return terms_.size(); }
  int32_t Slot(TermId t) const {
    if (!filter_.empty()) {
      if (!((filter_[(t & 0xfffff) >> 6] >> (t & 63)) & 1)) return -1;
      auto it = std::lower_bound(terms_.begin(), terms_.end(), t);
      return it != terms_.end() && *it == t ? static_cast<int32_t>(it - terms_.begin()) : -1;
    }
    return t < table_.size() ? table_[t] : -1;
  }

 private:
  std::vector<TermId> terms_;  // ascending, distinct
  std::vector<int32_t> table_;
  std::vector<uint64_t> filter_;
};

}  // namespace

std::vector<std::vector<Hit>> ExactReference(const CsrView& docs, const DocNo* docnos, const CsrView& queries, size_t k,
                                             bool round_half, size_t threads) {
  const TermSlots slots(queries);
  const size_t rows = docs.rows, nq = queries.rows, n_slots = slots.Size();
  // Slot -> the (query, weight) pairs of that term, queries ascending.
  std::vector<size_t> pair_start(n_slots + 1, 0);
  for (size_t i = 0; i < queries.indptr[nq]; i++) pair_start[static_cast<size_t>(slots.Slot(queries.indices[i])) + 1]++;
  for (size_t s = 0; s < n_slots; s++) pair_start[s + 1] += pair_start[s];
  std::vector<uint32_t> pair_query(pair_start.back());
  std::vector<float> pair_weight(pair_start.back());
  {
    std::vector<size_t> fill(pair_start.begin(), pair_start.end() - 1);
    for (uint32_t q = 0; q < nq; q++)
      for (size_t i = queries.indptr[q]; i < queries.indptr[q + 1]; i++) {
        size_t s = static_cast<size_t>(slots.Slot(queries.indices[i]));
        pair_query[fill[s]] = q;
        pair_weight[fill[s]++] = queries.values[i];
      }
  }
  // One pass over the rows, every query at once; part t takes rows [rows t / parts, rows (t + 1) /
  // parts) with its own top-k per query, merged below (score, then row: a total order, so the
  // result does not depend on the split).
  const size_t parts = std::max<size_t>(1, std::min(std::max<size_t>(1, threads), rows / 1024 + 1));
  std::vector<std::vector<TopK>> tops(parts);
  ParallelFor(parts, parts, [&](size_t t) {
    std::vector<TopK>& top = tops[t];
    top.reserve(nq);
    for (size_t q = 0; q < nq; q++) top.emplace_back(k);
    std::vector<float> acc(nq, 0.0f);
    std::vector<uint8_t> touched(nq, 0);
    std::vector<uint32_t> seen;
    // Plain locals (not the captured vectors) so the compiler keeps them in registers.
    const uint32_t* indptr = docs.indptr;
    const TermId* indices = docs.indices;
    const float* values = docs.values;
    const size_t* ps = pair_start.data();
    const uint32_t* pq = pair_query.data();
    const float* pw = pair_weight.data();
    float* a = acc.data();
    uint8_t* mark = touched.data();
    for (size_t r = rows * t / parts, end = rows * (t + 1) / parts; r < end; r++) {
      for (size_t i = indptr[r]; i < indptr[r + 1]; i++) {
        const int32_t s = slots.Slot(indices[i]);
        if (s < 0) continue;
        const float v = round_half ? RoundToHalfPrecision(values[i]) : values[i];
        for (size_t p = ps[s]; p < ps[s + 1]; p++) {
          const uint32_t q = pq[p];
          if (!mark[q]) {
            mark[q] = 1;
            seen.push_back(q);
          }
          a[q] += pw[p] * v;
        }
      }
      for (uint32_t q : seen) {
        if (a[q] > 0.0f) top[q].Push(a[q], static_cast<DocNo>(r));  // ranked by row; docnos mapped below
        a[q] = 0.0f;
        mark[q] = 0;
      }
      seen.clear();
    }
  });
  std::vector<std::vector<Hit>> out(nq);
  for (size_t q = 0; q < nq; q++) {
    TopK merged(k);
    for (auto& part : tops)
      for (const Hit& h : part[q].Take()) merged.Push(h.score, h.docno);
    out[q] = merged.Take();
    for (Hit& h : out[q]) h.docno = docnos[h.docno];
  }
  return out;
}

}  // namespace sparrow
