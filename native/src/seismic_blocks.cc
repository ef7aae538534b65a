// Seismic build, per posting list: clustering into blocks and quantised block summaries.
#include "seismic_blocks.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <numeric>

#include "thread_pool.h"

namespace sparrow {
namespace {

constexpr uint32_t kNone = 0xffffffffu;
constexpr size_t kMinClusterSize = 2;  // smaller clusters are dissolved into the others

float ValueOf(uint64_t key) {
  uint32_t bits = static_cast<uint32_t>(key >> 32);
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

uint64_t SplitMix(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

TermDict::TermDict(const CsrView& docs) {
  size_t nnz = docs.indptr[docs.rows];
  TermId max_term = 0;
  for (size_t i = 0; i < nnz; i++) max_term = std::max(max_term, docs.indices[i]);
  // A lookup array costs 4 bytes per possible id: only when that is small next to the segment.
  if (nnz > 0 && max_term < (1u << 24) && size_t{max_term} <= 8 * nnz + 65536) {
    dense_.assign(size_t{max_term} + 1, kNone);
    for (size_t i = 0; i < nnz; i++) dense_[docs.indices[i]] = 0;
    for (size_t t = 0; t <= max_term; t++)
      if (dense_[t] == 0) {
        dense_[t] = static_cast<uint32_t>(terms_.size());
        terms_.push_back(static_cast<TermId>(t));
      }
  } else {
    terms_.assign(docs.indices, docs.indices + nnz);
    std::sort(terms_.begin(), terms_.end());
    terms_.erase(std::unique(terms_.begin(), terms_.end()), terms_.end());
  }
}


DocTops ComputeDocTops(const CsrView& docs, const TermDict& dict, size_t cluster_cut, size_t threads) {
  DocTops tops;
  size_t cut = std::max(cluster_cut, kSummaryTops);
  tops.cut = cut;
  tops.cluster_cut = cluster_cut;
  tops.local.assign(docs.rows * cut, 0);
  tops.value.assign(docs.rows * cut, 0.0f);
  tops.len.assign(docs.rows, 0);
  const size_t chunk = 4096;
  ParallelFor((docs.rows + chunk - 1) / chunk, threads, [&](size_t c) {
    std::vector<uint32_t> idx;
    for (size_t r = c * chunk; r < std::min(docs.rows, (c + 1) * chunk); r++) {
      size_t begin = docs.indptr[r], n = docs.RowLen(r), m = std::min(n, cut);
      idx.resize(n);
      std::iota(idx.begin(), idx.end(), 0);
      std::partial_sort(idx.begin(), idx.begin() + m, idx.end(), [&](uint32_t a, uint32_t b) {
        float va = docs.values[begin + a], vb = docs.values[begin + b];
        return va > vb || (va == vb && a < b);
      });
      for (size_t i = 0; i < m; i++) {
        tops.local[r * cut + i] = dict.Local(docs.indices[begin + idx[i]]);
        tops.value[r * cut + i] = docs.values[begin + idx[i]];
      }
      tops.len[r] = static_cast<uint8_t>(m);
    }
  });
  return tops;
}

void QuantizeSummary(const float* v, size_t n, bool upward, uint8_t* codes, float& min, float& scale) {
  float lo = *std::min_element(v, v + n), hi = *std::max_element(v, v + n);
  min = lo;
  if (!(hi > lo)) {
    scale = 0.0f;
    std::fill(codes, codes + n, uint8_t{0});
    return;
  }
  scale = (hi - lo) / 255.0f;
  // Dequantisation (min + scale * code, in float) must reach the maximum when rounding upward.
  while (upward && lo + scale * 255.0f < hi) scale = std::nextafter(scale, INFINITY);
  for (size_t i = 0; i < n; i++) {
    float x = (v[i] - lo) / scale;
    long c = upward ? static_cast<long>(std::ceil(x)) : std::lround(x);
    c = std::clamp(c, 0L, 255L);
    while (upward && c < 255 && lo + scale * static_cast<float>(c) < v[i]) c++;
    codes[i] = static_cast<uint8_t>(c);
  }
}

BlockBuilder::BlockBuilder(const CsrView& docs, const TermDict& dict, const DocTops& tops, const SeismicParams& params,
                           bool fast_summaries)
    : docs_(docs),
      dict_(dict),
      tops_(tops),
      params_(params),
      head_(dict.Size(), -1),
      maxv_(dict.Size(), 0.0f),
      fast_summaries_(fast_summaries) {}

// Assigns each posting (by position in `rows`) to a cluster: random rows as centroids, each row to
// the centroid of largest inner product between their doc_cut top terms (through an inverted index
// of the centroids); clusters under kMinClusterSize are dissolved into the others.
std::vector<uint32_t> BlockBuilder::Cluster(uint32_t list_id, const std::vector<uint32_t>& rows) {
  size_t n = rows.size();
  size_t nc = std::max<size_t>(1, static_cast<size_t>(std::llround(params_.centroid_fraction * static_cast<double>(n))));
  std::vector<uint32_t> assign(n, 0);
  if (nc <= 1 || n <= kMinClusterSize) return assign;
  uint64_t rng = params_.seed ^ (uint64_t{list_id} * 0xD1B54A32D192ED03ull);
  std::vector<uint32_t> pos(n);
  std::iota(pos.begin(), pos.end(), 0);
  for (size_t i = 0; i < nc; i++) std::swap(pos[i], pos[i + SplitMix(rng) % (n - i)]);
  entries_.clear();
  // Centroids are cut to their doc_cut largest terms too: the cost per row stays
  // O(doc_cut x centroids sharing a term) even for unpruned lists of common terms.
  for (uint32_t c = 0; c < nc; c++) {
    uint32_t r = rows[pos[c]];
    for (size_t i = 0, m = std::min<size_t>(tops_.len[r], tops_.cluster_cut); i < m; i++) {
      uint32_t lt = tops_.local[r * tops_.cut + i];
      if (head_[lt] < 0) touched_.push_back(lt);
      entries_.push_back({c, tops_.value[r * tops_.cut + i], head_[lt]});
      head_[lt] = static_cast<int32_t>(entries_.size() - 1);
    }
  }
  acc_.assign(nc, 0.0f);
  std::vector<uint32_t> size(nc, 0);
  std::vector<uint8_t> dead(nc, 0);
  std::vector<uint32_t> hit;  // centroids reached by the current row (cost: the chains walked, not nc)
  auto best_for = [&](size_t p) {
    uint32_t r = rows[p];
    for (size_t i = 0, m = std::min<size_t>(tops_.len[r], tops_.cluster_cut); i < m; i++) {
      float w = tops_.value[r * tops_.cut + i];
      for (int32_t e = head_[tops_.local[r * tops_.cut + i]]; e >= 0; e = entries_[e].next) {
        uint32_t c = entries_[e].centroid;
        if (acc_[c] == 0.0f) hit.push_back(c);
        acc_[c] += w * entries_[e].weight;
      }
    }
    uint32_t best = kNone;
    for (uint32_t c : hit)
      if (!dead[c] && acc_[c] > 0.0f && (best == kNone || acc_[c] > acc_[best] || (acc_[c] == acc_[best] && c < best))) best = c;
    for (uint32_t c : hit) acc_[c] = 0.0f;
    hit.clear();
    // No overlap with any centroid: spread by position rather than piling onto one block.
    if (best == kNone) {
      for (size_t k = 0; k < nc; k++) {
        uint32_t c = static_cast<uint32_t>((p + k) % nc);
        if (!dead[c]) return c;
      }
    }
    return best;
  };
  for (size_t p = 0; p < n; p++) size[assign[p] = best_for(p)]++;
  bool any_dead = false;
  for (uint32_t c = 0; c < nc; c++) any_dead |= (dead[c] = size[c] < kMinClusterSize) != 0;
  if (any_dead && std::find(dead.begin(), dead.end(), 0) != dead.end())
    for (size_t p = 0; p < n; p++)
      if (dead[assign[p]]) assign[p] = best_for(p);
  for (uint32_t lt : touched_) head_[lt] = -1;
  touched_.clear();
  return assign;
}

// keys_ = the touched terms' block maxima as keys ordering entries by value (positive floats order
// like their bits), then smaller term first; returns their L1 mass.
double BlockBuilder::CollectKeys() {
  keys_.clear();
  double total = 0.0;
  for (uint32_t lt : touched_) {
    uint32_t bits;
    std::memcpy(&bits, &maxv_[lt], sizeof bits);
    keys_.push_back((uint64_t{bits} << 32) | (0xffffffffu - lt));
    total += maxv_[lt];
  }
  return total;
}

// The summary from the rows' kSummaryTops largest entries alone, when that provably equals the
// summary of the whole rows: the size bound keeps the block's `cap` largest maxima, every maximum
// left out is at most the largest value a row did not hand in (theta) and the cap-th kept maximum
// is above theta (so the kept set and its values are exact), and the energy cut over the whole rows
// keeps at least cap entries (its mass target is at least the one over the handed-in entries).
// Leaves keys_[0, cap) as the summary and returns true; else leaves the workspace clean, false.
bool BlockBuilder::SummariseFromTops(const uint32_t* rows, size_t n, size_t cap) {
  float theta = 0.0f;
  for (size_t k = 0; k < n; k++) {
    uint32_t r = rows[k];
    const uint32_t* local = tops_.local.data() + r * tops_.cut;
    const float* value = tops_.value.data() + r * tops_.cut;
    for (size_t i = 0; i < tops_.len[r] && value[i] > 0.0f; i++) {  // descending: zeros last
      if (maxv_[local[i]] == 0.0f) touched_.push_back(local[i]);
      maxv_[local[i]] = std::max(maxv_[local[i]], value[i]);
    }
    if (docs_.RowLen(r) > tops_.len[r]) theta = std::max(theta, value[tops_.len[r] - 1]);  // the row left entries out
  }
  std::vector<uint64_t>& keys = keys_;
  double total = CollectKeys();
  bool exact = keys.size() >= cap;
  if (exact) {
    std::nth_element(keys.begin(), keys.begin() + (cap - 1), keys.end(), std::greater<uint64_t>());
    exact = ValueOf(keys[cap - 1]) > theta;
  }
  if (exact && params_.summary_energy < 1.0) {
    double below_cap = 0.0;  // the cap - 1 largest maxima
    for (size_t i = 0; i + 1 < cap; i++) below_cap += ValueOf(keys[i]);
    exact = below_cap < params_.summary_energy * total * (1.0 - 1e-9);
  }
  if (!exact) {
    for (uint32_t lt : touched_) maxv_[lt] = 0.0f;
    touched_.clear();
  }
  return exact;
}

void BlockBuilder::Summarise(const uint32_t* rows, size_t n, ListOut& out) {
  // The size bound: at most summary_cap entries per posting of the block (the largest of them).
  size_t cap = std::max<size_t>(1, static_cast<size_t>(params_.summary_cap * static_cast<double>(n)));
  if (!params_.pruning_disabled && fast_summaries_ && SummariseFromTops(rows, n, cap)) {
    fast_blocks_++;
    Emit(cap, out);
    return;
  }
  for (size_t k = 0; k < n; k++) {
    uint32_t r = rows[k];
    for (size_t i = docs_.indptr[r]; i < docs_.indptr[r + 1]; i++) {
      if (!(docs_.values[i] > 0.0f)) continue;  // a zero adds nothing to an upper bound
      uint32_t lt = dict_.Local(docs_.indices[i]);
      if (maxv_[lt] == 0.0f) touched_.push_back(lt);
      maxv_[lt] = std::max(maxv_[lt], docs_.values[i]);
    }
  }
  // Keep the largest entries holding summary_energy of the L1 mass (ties: smaller term first).
  // Keys order entries by value (positive floats order like their bits), then term; the cut is
  // found by selection on mass in O(entries), not by sorting every block's union.
  std::vector<uint64_t>& keys = keys_;
  double total = CollectKeys();
  size_t keep = keys.size();
  auto desc = std::greater<uint64_t>();
  if (!params_.pruning_disabled && params_.summary_energy < 1.0 && keep > 1) {
    // Invariant: keys[0, lo) are kept, holding target - need; the answer lies in (lo, hi].
    double need = params_.summary_energy * total;
    size_t lo = 0, hi = keys.size();
    while (hi - lo > 1) {
      size_t mid = lo + (hi - lo) / 2;
      std::nth_element(keys.begin() + lo, keys.begin() + mid, keys.begin() + hi, desc);
      double mass = 0.0;
      for (size_t i = lo; i < mid; i++) mass += ValueOf(keys[i]);
      if (mass >= need) {
        hi = mid;
      } else {
        need -= mass;
        lo = mid;
      }
    }
    keep = hi;
  }
  // The size bound: at most summary_cap entries per posting of the block (the largest of them).
  if (!params_.pruning_disabled && keep > cap) {
    std::nth_element(keys.begin(), keys.begin() + cap, keys.begin() + keep, desc);
    keep = cap;
  }
  Emit(keep, out);
}

// Stores keys_[0, keep) as the block's summary (term order, 8-bit codes) and clears the workspace.
void BlockBuilder::Emit(size_t keep, ListOut& out) {
  std::vector<uint64_t>& keys = keys_;
  // Term order for storage (local order = term order).
  std::sort(keys.begin(), keys.begin() + keep, [](uint64_t a, uint64_t b) { return (a & 0xffffffffu) > (b & 0xffffffffu); });
  std::vector<float> vals(keep);
  for (size_t i = 0; i < keep; i++) {
    vals[i] = ValueOf(keys[i]);
    out.summary_terms.push_back(dict_.Global(0xffffffffu - static_cast<uint32_t>(keys[i] & 0xffffffffu)));
  }
  size_t at = out.summary_codes.size();
  out.summary_codes.resize(at + keep);
  float min = 0.0f, scale = 0.0f;
  if (keep > 0) QuantizeSummary(vals.data(), keep, params_.pruning_disabled != 0, out.summary_codes.data() + at, min, scale);
  out.summary_min.push_back(min);
  out.summary_scale.push_back(scale);
  out.summary_sizes.push_back(static_cast<uint32_t>(keep));
  for (uint32_t lt : touched_) maxv_[lt] = 0.0f;
  touched_.clear();
}

void BlockBuilder::Build(uint32_t list_id, std::vector<uint32_t> rows, ListOut& out) {
  std::sort(rows.begin(), rows.end());
  std::vector<uint32_t> assign = Cluster(list_id, rows);
  // Group by cluster, rows ascending inside each (stable sort of positions by cluster).
  std::vector<uint32_t> pos(rows.size());
  std::iota(pos.begin(), pos.end(), 0);
  std::stable_sort(pos.begin(), pos.end(), [&](uint32_t a, uint32_t b) { return assign[a] < assign[b]; });
  size_t begin = out.rows.size();
  for (uint32_t p : pos) out.rows.push_back(rows[p]);
  // With pruning disabled every summary is complete (exact results): cutting would only add summaries.
  const size_t cap = params_.pruning_disabled ? rows.size() + 1 : MaxBlockPostings(params_);
  for (size_t i = 0; i < pos.size();) {
    size_t j = i;
    while (j < pos.size() && assign[pos[j]] == assign[pos[i]]) j++;
    uint32_t* cluster = out.rows.data() + begin + i;
    const size_t n = j - i;
    // A cluster over the cap is cut into near-equal blocks by the rows' weight in this list, largest
    // first: a summary is a coordinate-wise maximum, so one large cluster's summary bounds its best
    // rows and lets the rest of them through with it; cut by weight, the first block carries the
    // high bound and the others lower ones, which the threshold skips (README "Index benchmark").
    const size_t parts = (n + cap - 1) / cap;
    if (parts > 1) SortByWeight(list_id, cluster, n);
    for (size_t c = 0; c < parts; c++) {
      uint32_t* b = cluster + n * c / parts;
      uint32_t* e = cluster + n * (c + 1) / parts;
      if (parts > 1) std::sort(b, e);  // rows ascending inside a block
      out.block_sizes.push_back(static_cast<uint32_t>(e - b));
      Summarise(b, static_cast<size_t>(e - b), out);
    }
    i = j;
  }
}

// Rows by their weight for the list's term, descending (ties: smaller row first).
void BlockBuilder::SortByWeight(uint32_t list_id, uint32_t* rows, size_t n) {
  const TermId term = dict_.Global(list_id);
  std::vector<std::pair<float, uint32_t>> keyed(n);
  for (size_t i = 0; i < n; i++) {
    const TermId* b = docs_.indices + docs_.indptr[rows[i]];
    const TermId* e = docs_.indices + docs_.indptr[rows[i] + 1];
    const TermId* at = std::lower_bound(b, e, term);  // present: the row is in the term's list
    keyed[i] = {docs_.values[at - docs_.indices], rows[i]};
  }
  std::sort(keyed.begin(), keyed.end(), [](const auto& x, const auto& y) { return x.first > y.first || (x.first == y.first && x.second < y.second); });
  for (size_t i = 0; i < n; i++) rows[i] = keyed[i].second;
}

}  // namespace sparrow
