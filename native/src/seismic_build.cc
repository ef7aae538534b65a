// Seismic build: static pruning under a global threshold, then blocks per list, then kNN graph.
#include "seismic_build.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "seismic_blocks.h"
#include "seismic_search.h"
#include "thread_pool.h"

namespace sparrow {
namespace {

constexpr size_t kMinListCap = 128;
// The fewest postings a segment keeps (all of them when it has fewer non-zeros): posting_fraction of
// a small segment is a handful of postings, and most query terms would find no list at all.
constexpr double kMinPostings = 65536;

struct Posting {
  float value;
  uint32_t row;
};

void CheckStop(const StopFn& stop) {
  if (stop && stop()) throw std::runtime_error("build cancelled");
}

// Value whose share of larger-or-equal non-zeros is `keep` (estimated on an evenly spaced sample
// of at most 2^20 values: the budget is a share, not an exact count).
float GlobalThreshold(const CsrView& docs, double keep) {
  size_t nnz = docs.indptr[docs.rows];
  if (keep >= 1.0 || nnz == 0) return -INFINITY;
  size_t stride = std::max<size_t>(1, nnz >> 20);
  std::vector<float> sample;
  for (size_t i = 0; i < nnz; i += stride) sample.push_back(docs.values[i]);
  size_t at = std::min(sample.size() - 1, static_cast<size_t>(static_cast<double>(sample.size()) * (1.0 - keep)));
  std::nth_element(sample.begin(), sample.begin() + at, sample.end());
  return sample[at];
}

// Postings per local term with value >= threshold, rows ascending within each list.
struct Lists {
  std::vector<size_t> offsets;  // dict size + 1
  std::vector<Posting> postings;
};

Lists PrunedLists(const CsrView& docs, const TermDict& dict, float threshold) {
  Lists l;
  size_t nnz = docs.indptr[docs.rows];
  l.offsets.assign(dict.Size() + 1, 0);
  for (size_t i = 0; i < nnz; i++)
    if (docs.values[i] >= threshold) l.offsets[dict.Local(docs.indices[i]) + 1]++;
  for (size_t t = 0; t < dict.Size(); t++) l.offsets[t + 1] += l.offsets[t];
  l.postings.resize(l.offsets.back());
  std::vector<size_t> fill(l.offsets.begin(), l.offsets.end() - 1);
  for (uint32_t r = 0; r < docs.rows; r++)
    for (size_t i = docs.indptr[r]; i < docs.indptr[r + 1]; i++)
      if (docs.values[i] >= threshold) l.postings[fill[dict.Local(docs.indices[i])]++] = {docs.values[i], r};
  return l;
}

template <typename T>
void Append(std::vector<T>& to, const std::vector<T>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

void Assemble(SeismicData& d, const TermDict& dict, const std::vector<ListOut>& outs, const std::vector<uint32_t>& terms) {
  bool narrow = dict.MaxTerm() < 65536;
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
    Append(d.postings, o.rows);
    Append(d.summary_min, o.summary_min);
    Append(d.summary_scale, o.summary_scale);
    Append(d.summary_codes, o.summary_codes);
    if (narrow)
      for (TermId t : o.summary_terms) d.summary_terms16.push_back(static_cast<uint16_t>(t));
    else
      Append(d.summary_terms32, o.summary_terms);
  }
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

  TermDict dict(docs);
  double fraction = std::max(params.posting_fraction, std::min(1.0, kMinPostings / std::max<double>(1, nnz)));
  Lists lists = PrunedLists(docs, dict, all ? -INFINITY : GlobalThreshold(docs, fraction));
  size_t nonempty = 0;
  for (size_t t = 0; t < dict.Size(); t++) nonempty += lists.offsets[t + 1] > lists.offsets[t];
  // Per-list cap: max_fraction x the average list under the budget (relative to this segment), but
  // never under kMinListCap: in a small segment the average list is a handful of postings, too few
  // to hold a query's neighbours (the global threshold still prunes).
  double budget = fraction * static_cast<double>(nnz);
  size_t cap = all ? SIZE_MAX
                   : std::max<size_t>(kMinListCap, static_cast<size_t>(std::ceil(params.max_fraction * budget / std::max<size_t>(1, nonempty))));
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
      if (tmp.size() > cap) {
        std::nth_element(tmp.begin(), tmp.begin() + cap, tmp.end(), [](const Posting& a, const Posting& b) {
          return a.value > b.value || (a.value == b.value && a.row < b.row);
        });
        tmp.resize(cap);
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
