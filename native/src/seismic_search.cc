// Seismic query: summaries decide which blocks are scored exactly against the forward rows.
#include "seismic_search.h"
#include "simd_kernels.h"
#include "half.h"

#include <algorithm>
#include <numeric>
#include <type_traits>

namespace sparrow {
namespace {

// Query weights by term id: a dense array when the query's largest term id is small (the common
// case: a 30k vocabulary), an open-addressing table otherwise (2^32 vocabularies).
class QueryVector {
 public:
  static constexpr uint32_t kDenseLimit = 1u << 20;

  void Load(const TermId* terms, const float* values, size_t n) {
    terms_.assign(terms, terms + n);
    dense_mode_ = n == 0 || terms[n - 1] < kDenseLimit;  // terms ascending
    if (dense_mode_) {
      size_t need = n == 0 ? 0 : size_t{terms[n - 1]} + 1;
      if (dense_.size() < need) dense_.resize(need, 0.0f);
      if (bits_.size() < need / 64 + 1) bits_.resize(need / 64 + 1, 0);  // bit `need` stays clear
      for (size_t i = 0; i < n; i++) {
        dense_[terms[i]] = values[i];
        if (values[i] != 0.0f) bits_[terms[i] >> 6] |= uint64_t{1} << (terms[i] & 63);
      }
      limit_ = static_cast<uint32_t>(need);
    } else {
      size_t cap = 16;
      while (cap < 2 * n) cap <<= 1;
      keys_.assign(cap, kEmpty);
      vals_.assign(cap, 0.0f);
      mask_ = cap - 1;
      if (filter_.empty()) filter_.assign(kFilterBits / 64, 0);
      for (size_t i = 0; i < n; i++) {
        size_t h = Hash(terms[i]);
        while (keys_[h] != kEmpty) h = (h + 1) & mask_;
        keys_[h] = terms[i];
        vals_[h] = values[i];
        uint32_t f = FilterBit(terms[i]);
        filter_[f >> 6] |= uint64_t{1} << (f & 63);
      }
    }
  }
  void Clear() {
    if (dense_mode_) {
      for (TermId t : terms_) {
        dense_[t] = 0.0f;
        bits_[t >> 6] = 0;
      }
    } else {
      for (TermId t : terms_) filter_[FilterBit(t) >> 6] = 0;
    }
  }
  // The dense array and its length, or nullptr in table mode.
  const float* Dense() const { return dense_mode_ ? dense_.data() : nullptr; }
  DenseQuery DenseView() const { return {dense_.data(), bits_.data(), limit_}; }
  uint32_t Limit() const { return limit_; }
  float Get(TermId t) const {
    if (dense_mode_) return t < limit_ ? dense_[t] : 0.0f;
    // Most terms of a document are not in the query: one bit of an 8 KB filter (in L1) says so
    // before the table is probed.
    uint32_t f = FilterBit(t);
    if (!((filter_[f >> 6] >> (f & 63)) & 1)) return 0.0f;
    for (size_t h = Hash(t);; h = (h + 1) & mask_) {
      if (keys_[h] == t) return vals_[h];
      if (keys_[h] == kEmpty) return 0.0f;
    }
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  size_t Hash(TermId t) const { return (uint64_t{t} * 0x9E3779B97F4A7C15ull >> 20) & mask_; }
  static constexpr uint32_t kFilterBits = 1u << 16;
  static uint32_t FilterBit(TermId t) { return static_cast<uint32_t>((uint64_t{t} * 0xD6E8FEB86659FD93ull) >> 48); }
  std::vector<uint64_t> filter_;  // table mode: one bit per FilterBit of a query term
  std::vector<TermId> terms_;
  bool dense_mode_ = true;
  std::vector<float> dense_;
  std::vector<uint64_t> bits_;  // dense mode: bit t set iff dense_[t] != 0
  uint32_t limit_ = 0;
  std::vector<uint64_t> keys_;
  std::vector<float> vals_;
  size_t mask_ = 0;
};

struct Scratch {
  QueryVector q;
  std::vector<uint64_t> visited;  // one bit per forward row
  std::vector<uint32_t> touched;  // rows to unmark after the query
  std::vector<uint32_t> pending;   // admitted rows of the block selected last
  std::vector<uint32_t> incoming;  // admitted rows of the block being selected
  void Reset(size_t rows) {
    if (visited.size() < (rows + 63) / 64) visited.assign((rows + 63) / 64, 0);
  }
  bool Visit(uint32_t r) {
    uint64_t& w = visited[r >> 6];
    uint64_t bit = uint64_t{1} << (r & 63);
    if (w & bit) return false;
    w |= bit;
    touched.push_back(r);
    return true;
  }
  // DotRow's sum (the same products in ascending term order, bit for bit) over a dense query.
  // BM25 rows (scoring.Bm25()): each product is w x tf / (tf + the row's norm), in the same order;
  // a plain-weight row of a BM25 segment is scaled to collection units (x weight_scale, exact).
  template <typename Rows>
  float Dot(const Rows& rows, uint32_t r, const RowScoring& scoring = {}) {
    if constexpr (kHalfRows<Rows>) {
      if (scoring.Bm25()) {
        uint32_t len = scoring.lengths[r];
        if (len == kNoLength) return Sum(rows, r, kPlain) * scoring.weight_scale;
        return Sum(rows, r, scoring.Norm(len));
      }
    }
    return Sum(rows, r, kPlain);
  }
  template <typename Rows>
  static constexpr bool kHalfRows = std::is_same_v<std::remove_cv_t<std::remove_pointer_t<decltype(Rows::values)>>, Half>;
  static constexpr float kPlain = -1.0f;  // a norm meaning "plain weights" (a BM25 norm is >= 0)
  // Row r's products with the query summed in term order: w x value, or w x tf / (tf + norm).
  template <typename Rows>
  float Sum(const Rows& rows, uint32_t r, float norm) {
    const auto* t = rows.indices + rows.indptr[r];
    const auto* v = rows.values + rows.indptr[r];
    size_t n = rows.RowLen(r);
    if (q.Dense() != nullptr) {
      if constexpr (kHalfRows<Rows>) {
        if (norm != kPlain) return DotBm25Row(q.DenseView(), t, v, n, norm);
        return DotHalfRow(q.DenseView(), t, v, n);
      }
      return DotDense(q.DenseView(), t, v, n);
    }
    float s = 0.0f;
    for (size_t i = 0; i < n; i++) {
      float w = q.Get(t[i]);
      if (w == 0.0f) continue;
      float x = AsFloat(v[i]);
      s += norm == kPlain ? w * x : w * (x / (x + norm));
    }
    return s;
  }
  std::vector<std::pair<float, uint32_t>> ranked;  // (summary score, block) of the current list
  void Clear() {
    for (uint32_t r : touched) visited[r >> 6] = 0;
    touched.clear();
    q.Clear();
  }
};

// Like TopK (same order and floor), but each hit remembers its forward row (for kNN refinement).
struct RowHit {
  Hit hit;
  uint32_t row;
};
class RowTopK {
 public:
  RowTopK(size_t k, float floor) : k_(k), floor_(floor) { heap_.reserve(k + 1); }
  bool Full() const { return heap_.size() >= k_; }
  float Threshold() const { return Full() ? heap_.front().hit.score : floor_; }
  void Push(float score, DocNo docno, uint32_t row) {
    if (score < floor_) return;
    RowHit h{{score, docno}, row};
    if (!Full()) {
      heap_.push_back(h);
      std::push_heap(heap_.begin(), heap_.end(), Order);
    } else if (Better(h.hit, heap_.front().hit)) {
      std::pop_heap(heap_.begin(), heap_.end(), Order);
      heap_.back() = h;
      std::push_heap(heap_.begin(), heap_.end(), Order);
    }
  }
  std::vector<RowHit> Sorted() const {
    std::vector<RowHit> out = heap_;
    std::sort(out.begin(), out.end(), Order);
    return out;
  }

 private:
  static bool Order(const RowHit& a, const RowHit& b) { return Better(a.hit, b.hit); }
  size_t k_;
  float floor_;
  std::vector<RowHit> heap_;
};

// Branch-free (most summary terms are not in the query, and a data-dependent branch here
// mispredicts); a zero query weight adds an exact 0.
template <typename TermT>
float SummaryScore(const QueryVector& q, const TermT* terms, const uint8_t* codes, size_t n, size_t readable, float min,
                   float scale) {
  if (const float* d = q.Dense()) return SummaryDot(d, q.Limit(), terms, codes, n, readable, min, scale);
  float s = 0.0f;
  for (size_t i = 0; i < n; i++) s += q.Get(terms[i]) * (min + scale * static_cast<float>(codes[i]));
  return s;
}

// Every cache line of n elements from p (one prefetch per 64-byte line).
template <typename T>
inline void PrefetchRange(const T* p, size_t n) {
  const char* b = reinterpret_cast<const char*>(p);
  const char* e = reinterpret_cast<const char*>(p + n);
  for (const char* c = reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(b) & ~uintptr_t{63}); c < e; c += 64)
    __builtin_prefetch(c);
}

// Rounding slack on a summary bound: the bound and a document score are float sums in different
// orders; a relative 1e-4 keeps "pruning disabled" exact and is negligible otherwise.
constexpr float kBoundSlack = 1.0001f;

}  // namespace

template <typename Rows>
float DotRow(const Rows& rows, size_t r, const TermId* q_terms, const float* q_values, size_t q_len) {
  // Merge of two ascending term lists; products summed in ascending term order.
  const auto* t = rows.indices + rows.indptr[r];
  const float* v = rows.values + rows.indptr[r];
  size_t n = rows.RowLen(r), i = 0, j = 0;
  float s = 0.0f;
  while (i < n && j < q_len) {
    if (t[i] < q_terms[j]) {
      i++;
    } else if (t[i] > q_terms[j]) {
      j++;
    } else {
      s += q_values[j] * v[i];
      i++;
      j++;
    }
  }
  return s;
}

template <typename Rows>
std::vector<Hit> SeismicSearch(const SeismicView& ix, const Rows& rows, const DocNo* docnos, const TermId* q_terms,
                               const float* q_values, size_t q_len, const SeismicQueryOptions& opts, QueryStats* stats) {
  thread_local Scratch scratch;
  scratch.Reset(rows.rows);
  scratch.q.Load(q_terms, q_values, q_len);
  RowTopK top(opts.k, opts.threshold);
  const bool wide = !ix.summary_terms32.empty();
  const uint32_t row_bits = RowBits(ix.num_rows);

  // Lists of the query_cut largest query weights, largest first (ties: smaller term first).
  std::vector<uint32_t> order(q_len);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return q_values[a] > q_values[b]; });
  size_t cut = opts.query_cut == 0 ? q_len : std::min(opts.query_cut, q_len);

  auto score_admitted = [&](uint32_t r) {
    if (stats) stats->docs_scored++;
    float score = scratch.Dot(rows, r, opts.scoring);
    // No shared positive weight: not a match. Below the threshold Push is a no-op, so the docno
    // (a likely cache miss) is read only for a score that can enter.
    if (score > 0.0f && score >= top.Threshold()) top.Push(score, docnos ? docnos[r] : r, r);
  };
  auto score_row = [&](uint32_t r) {
    if (scratch.Visit(r) && opts.filter.AcceptRow(r, docnos)) score_admitted(r);
  };
  std::vector<uint32_t>& pending = scratch.pending;
  pending.clear();
  const bool filtered = opts.filter.tombstones != nullptr || opts.filter.allow != nullptr;
  auto flush_pending = [&] {
    for (uint32_t r : pending) score_admitted(r);
    pending.clear();
  };

  for (size_t qi = 0; qi < cut; qi++) {
    uint32_t j = order[qi];
    if (q_values[j] <= 0.0f) break;
    auto it = std::lower_bound(ix.list_terms.begin(), ix.list_terms.end(), q_terms[j]);
    if (it == ix.list_terms.end() || *it != q_terms[j]) continue;
    size_t list = static_cast<size_t>(it - ix.list_terms.begin());
    if (stats) {
      stats->lists_visited++;
      stats->postings_total += ix.block_postings[ix.list_blocks[list + 1]] - ix.block_postings[ix.list_blocks[list]];
    }
    // Every block's summary score first; then the blocks that pass, best first: the threshold
    // rises fastest, and the first block that fails ends the list (the rest score lower still).
    std::vector<std::pair<float, uint32_t>>& ranked = scratch.ranked;
    ranked.clear();
    for (uint32_t b = ix.list_blocks[list]; b < ix.list_blocks[list + 1]; b++) {
      size_t s0 = ix.block_summary[b], sn = ix.block_summary[b + 1] - s0;
      const size_t readable = ix.summary_codes.size() - s0;  // terms and codes have one entry each
      float bound = wide ? SummaryScore(scratch.q, ix.summary_terms32.data() + s0, ix.summary_codes.data() + s0, sn,
                                        readable, ix.summary_min[b], ix.summary_scale[b])
                         : SummaryScore(scratch.q, ix.summary_terms16.data() + s0, ix.summary_codes.data() + s0, sn,
                                        readable, ix.summary_min[b], ix.summary_scale[b]);
      if (bound * kBoundSlack >= opts.heap_factor * top.Threshold())
        ranked.push_back({bound, b});
      else if (stats)
        stats->blocks_skipped++;
    }
    std::sort(ranked.begin(), ranked.end(), [](const auto& x, const auto& y) { return x.first > y.first || (x.first == y.first && x.second < y.second); });
    for (size_t i = 0; i < ranked.size(); i++) {
      auto [bound, b] = ranked[i];
      if (bound * kBoundSlack < opts.heap_factor * top.Threshold()) {
        if (stats) stats->blocks_skipped += ranked.size() - i;
        break;
      }
      if (stats) stats->blocks_scored++;
      // Pipelined: this block's row offsets (and docnos) are prefetched; then the block selected
      // before is scored row by row, and after each scored row one more of this block's rows is
      // admitted and its entries prefetched, so the loads of this block overlap the scoring of the
      // last one instead of queueing behind each other. This block is scored when the next is
      // selected. Deciding on a threshold one block old only skips less, so bounds stay safe; rows
      // are admitted and scored in the same order as without the overlap.
      const size_t p0 = ix.block_postings[b], p1 = ix.block_postings[b + 1];
      for (size_t p = p0; p < p1; p++) {
        uint32_t r = UnpackRow(ix.postings.data(), p, row_bits);
        __builtin_prefetch(rows.indptr + r);
        if (docnos && filtered) __builtin_prefetch(docnos + r);
      }
      std::vector<uint32_t>& incoming = scratch.incoming;
      incoming.clear();
      size_t p = p0;
      auto admit_next = [&] {
        for (; p < p1; p++) {
          uint32_t r = UnpackRow(ix.postings.data(), p, row_bits);
          if (!scratch.Visit(r) || !opts.filter.AcceptRow(r, docnos)) continue;
          incoming.push_back(r);
          PrefetchRange(rows.indices + rows.indptr[r], rows.RowLen(r));
          PrefetchRange(rows.values + rows.indptr[r], rows.RowLen(r));
          p++;
          return;
        }
      };
      for (uint32_t r : pending) {
        score_admitted(r);
        admit_next();
      }
      while (p < p1) admit_next();
      pending.swap(incoming);
    }
  }

  flush_pending();

  size_t n_knn = std::min<size_t>(opts.n_knn, ix.params.n_knn);
  if (n_knn > 0 && !ix.knn.empty()) {
    for (const RowHit& h : top.Sorted()) {
      const uint32_t* nb = ix.knn.data() + size_t{h.row} * ix.params.n_knn;
      for (size_t i = 0; i < n_knn && nb[i] != kNoRow; i++) score_row(nb[i]);
    }
  }
  scratch.Clear();
  std::vector<RowHit> sorted = top.Sorted();
  std::vector<Hit> out(sorted.size());
  for (size_t i = 0; i < sorted.size(); i++) out[i] = sorted[i].hit;
  return out;
}

template <typename Rows>
std::vector<Hit> SeismicScan(const Rows& rows, const DocNo* docnos, const TermId* q_terms, const float* q_values,
                             size_t q_len, size_t k, float threshold, const DocFilter& filter, QueryStats* stats,
                             const RowScoring& scoring) {
  thread_local Scratch scratch;
  scratch.q.Load(q_terms, q_values, q_len);
  TopK top(k, threshold);
  size_t scored = 0;
  for (uint32_t r = 0; r < rows.rows; r++) {
    if (!filter.AcceptRow(r, docnos)) continue;
    scored++;
    float s = scratch.Dot(rows, r, scoring);
    if (s > 0.0f && s >= top.Threshold()) top.Push(s, docnos ? docnos[r] : r);
  }
  scratch.q.Clear();
  if (stats) stats->docs_scored += scored;
  return top.Take();
}

template std::vector<Hit> SeismicScan(const HalfRows16&, const DocNo*, const TermId*, const float*, size_t, size_t, float,
                                      const DocFilter&, QueryStats*, const RowScoring&);
template std::vector<Hit> SeismicScan(const HalfRows32&, const DocNo*, const TermId*, const float*, size_t, size_t, float,
                                      const DocFilter&, QueryStats*, const RowScoring&);
template float DotRow(const CsrView&, size_t, const TermId*, const float*, size_t);
template std::vector<Hit> SeismicSearch(const SeismicView&, const CsrView&, const DocNo*, const TermId*, const float*, size_t,
                                        const SeismicQueryOptions&, QueryStats*);
template std::vector<Hit> SeismicSearch(const SeismicView&, const HalfRows16&, const DocNo*, const TermId*, const float*,
                                        size_t, const SeismicQueryOptions&, QueryStats*);
template std::vector<Hit> SeismicSearch(const SeismicView&, const HalfRows32&, const DocNo*, const TermId*, const float*,
                                        size_t, const SeismicQueryOptions&, QueryStats*);

}  // namespace sparrow
