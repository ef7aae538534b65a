// Seismic build: static pruning (Seismic's per-list budget), then blocks per list, then kNN graph.
#include "seismic_build.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "seismic_blocks.h"
#include "seismic_search.h"
#include "thread_pool.h"

namespace sparrow {
namespace {

struct Posting {
  float value;
  uint32_t row;
};

// Larger value first; ties: smaller row first (a total order: pruning is deterministic).
bool Before(const Posting& a, const Posting& b) { return a.value > b.value || (a.value == b.value && a.row < b.row); }

void CheckStop(const StopFn& stop) {
  if (stop && stop()) throw std::runtime_error("build cancelled");
}

// Every posting of every local term, rows ascending within each list.
struct Lists {
  std::vector<size_t> offsets;  // dict size + 1
  std::vector<Posting> postings;
  size_t Len(size_t t) const { return offsets[t + 1] - offsets[t]; }
};

Lists AllLists(const CsrView& docs, const TermDict& dict) {
  Lists l;
  size_t nnz = docs.indptr[docs.rows];
  l.offsets.assign(dict.Size() + 1, 0);
  for (size_t i = 0; i < nnz; i++) l.offsets[dict.Local(docs.indices[i]) + 1]++;
  for (size_t t = 0; t < dict.Size(); t++) l.offsets[t + 1] += l.offsets[t];
  l.postings.resize(l.offsets.back());
  std::vector<size_t> fill(l.offsets.begin(), l.offsets.end() - 1);
  for (uint32_t r = 0; r < docs.rows; r++)
    for (size_t i = docs.indptr[r]; i < docs.indptr[r + 1]; i++)
      l.postings[fill[dict.Local(docs.indices[i])]++] = {docs.values[i], r};
  return l;
}

// Static pruning with Seismic's budget: n_postings x the non-empty lists. Each list keeps its
// min(length, n_postings) largest postings (its share: a list shorter than that is kept whole);
// what the short lists leave of the budget goes, under one global value threshold, to the
// next-largest postings of the long lists, each list capped at max_fraction x n_postings.
// Returns each list's kept size (its largest postings are kept, ties by row).
std::vector<size_t> KeptSizes(const Lists& lists, const SeismicParams& p, size_t threads) {
  size_t n = lists.offsets.size() - 1;
  size_t share = static_cast<size_t>(p.n_postings);
  size_t cap = std::max(share, static_cast<size_t>(p.max_fraction * p.n_postings));
  std::vector<size_t> keep(n);
  size_t nonempty = 0, used = 0;
  for (size_t t = 0; t < n; t++) {
    nonempty += lists.Len(t) > 0;
    used += keep[t] = std::min(lists.Len(t), share);
  }
  double extra = p.n_postings * static_cast<double>(nonempty) - static_cast<double>(used);
  // The values ranked [share, cap) within each long list: the candidates for the extra budget.
  std::vector<std::vector<float>> cand(n);
  ParallelFor(n, threads, [&](size_t t) {
    size_t len = lists.Len(t);
    if (len <= share) return;
    std::vector<float> v(len);
    for (size_t i = 0; i < len; i++) v[i] = lists.postings[lists.offsets[t] + i].value;
    size_t m = std::min(len, cap);
    auto desc = std::greater<float>();
    if (m < len) std::nth_element(v.begin(), v.begin() + m, v.end(), desc);
    std::nth_element(v.begin(), v.begin() + share, v.begin() + m, desc);
    cand[t].assign(v.begin() + share, v.begin() + m);
  });
  std::vector<float> pool;
  for (const auto& c : cand) pool.insert(pool.end(), c.begin(), c.end());
  if (static_cast<double>(pool.size()) <= extra) {
    for (size_t t = 0; t < n; t++) keep[t] += cand[t].size();
    return keep;
  }
  size_t k = static_cast<size_t>(extra);
  if (k == 0) return keep;
  std::nth_element(pool.begin(), pool.begin() + (k - 1), pool.end(), std::greater<float>());
  float threshold = pool[k - 1];
  for (size_t t = 0; t < n; t++)
    for (float x : cand[t]) keep[t] += x >= threshold;
  return keep;
}

template <typename T>
void Append(std::vector<T>& to, const std::vector<T>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

void Assemble(SeismicData& d, const TermDict& dict, const std::vector<ListOut>& outs, const std::vector<uint32_t>& terms) {
  bool narrow = dict.MaxTerm() < 65536;
  std::vector<uint32_t> rows;
  d.list_blocks.push_back(0);
  d.block_postings.push_back(0);
  d.block_summary.push_back(0);
  for (size_t i = 0; i < outs.size(); i++) {
    const ListOut& o = outs[i];
    if (o.block_sizes.empty()) continue;
    d.list_terms.push_back(terms[i]);
    for (size_t b = 0; b < o.block_sizes.size(); b++) {
      d.block_postings.push_back(d.block_postings.back() + o.block_sizes[b]);
      d.block_summary.push_back(d.block_summary.back() + o.summary_sizes[b]);
    }
    d.list_blocks.push_back(static_cast<uint32_t>(d.block_postings.size() - 1));
    Append(rows, o.rows);
    Append(d.summary_min, o.summary_min);
    Append(d.summary_scale, o.summary_scale);
    Append(d.summary_codes, o.summary_codes);
    if (narrow)
      for (TermId t : o.summary_terms) d.summary_terms16.push_back(static_cast<uint16_t>(t));
    else
      Append(d.summary_terms32, o.summary_terms);
  }
  d.postings = PackRows(rows, RowBits(d.num_rows));
}

void BuildKnn(SeismicData& d, const CsrView& docs, size_t threads, const StopFn& stop) {
  size_t n = d.params.n_knn;
  d.knn.assign(docs.rows * n, kNoRow);
  SeismicView view = d.View();
  view.knn = {};
  SeismicQueryOptions opts;
  opts.k = n + 1;
  opts.query_cut = d.params.doc_cut;
  opts.heap_factor = 0.9f;
  const size_t chunk = 1024;
  ParallelFor((docs.rows + chunk - 1) / chunk, threads, [&](size_t c) {
    CheckStop(stop);
    for (size_t r = c * chunk; r < std::min(docs.rows, (c + 1) * chunk); r++) {
      size_t begin = docs.indptr[r];
      std::vector<Hit> hits = SeismicSearch(view, docs, nullptr, docs.indices + begin, docs.values + begin,
                                            docs.RowLen(r), opts, nullptr);
      size_t k = 0;
      for (const Hit& h : hits)
        if (h.docno != r && k < n) d.knn[r * n + k++] = h.docno;
    }
  });
}

}  // namespace

SeismicData BuildSeismic(const CsrView& docs, const SeismicParams& params, const StopFn& stop) {
  ValidateSeismicParams(params);
  size_t nnz = docs.indptr[docs.rows];
  if (nnz >= 0xffffffffull) throw std::invalid_argument("seismic: a segment holds fewer than 2^32 non-zeros");
  size_t threads = params.threads;
  bool all = params.pruning_disabled != 0;
  SeismicData d;
  d.params = params;
  d.num_rows = static_cast<uint32_t>(docs.rows);

  if (!all && nnz < params.exhaustive_below) {
    // Too small for blocks to pay off (README "Index benchmark"): forward rows only.
    d.layout = SeismicLayout::kExhaustive;
    d.list_blocks = d.block_postings = d.block_summary = {0};
    d.postings = PackRows({}, RowBits(d.num_rows));
    return d;
  }
  TermDict dict(docs);
  Lists lists = AllLists(docs, dict);
  CheckStop(stop);
  // Each list's kept size: all of it when pruning is disabled, else Seismic's budget (KeptSizes).
  std::vector<size_t> keep(dict.Size());
  for (size_t t = 0; t < dict.Size(); t++) keep[t] = lists.Len(t);
  if (!all) keep = KeptSizes(lists, params, threads);
  DocTops tops = ComputeDocTops(docs, dict, params.doc_cut, threads);
  CheckStop(stop);

  std::vector<ListOut> outs(dict.Size());
  std::vector<uint32_t> terms(dict.Size());
  ParallelFor(threads, threads, [&](size_t w) {
    BlockBuilder builder(docs, dict, tops, params);
    std::vector<Posting> tmp;
    for (size_t t = w; t < dict.Size(); t += threads) {
      if ((t & 255) == 0) CheckStop(stop);
      terms[t] = dict.Global(static_cast<uint32_t>(t));
      tmp.assign(lists.postings.begin() + lists.offsets[t], lists.postings.begin() + lists.offsets[t + 1]);
      if (tmp.empty()) continue;
      if (tmp.size() > keep[t]) {
        std::nth_element(tmp.begin(), tmp.begin() + keep[t], tmp.end(), Before);
        tmp.resize(keep[t]);
      }
      std::vector<uint32_t> rows(tmp.size());
      for (size_t i = 0; i < tmp.size(); i++) rows[i] = tmp[i].row;
      builder.Build(static_cast<uint32_t>(t), std::move(rows), outs[t]);
    }
  });
  lists = Lists{};
  Assemble(d, dict, outs, terms);
  outs.clear();
  if (d.summary_codes.size() >= 0xffffffffull) throw std::invalid_argument("seismic: too many summary entries for one segment");
  if (params.n_knn > 0) BuildKnn(d, docs, threads, stop);
  return d;
}

}  // namespace sparrow
