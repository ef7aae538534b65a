// Block summaries from the rows' top entries (BlockBuilder's fast path) equal the summaries from
// the whole rows, byte for byte, whenever the fast path is taken; and it is taken on SPLADE-like
// rows. Built and run under ASan + UBSan by `npm run test:native` (native/test/Makefile).
#include <cstdio>
#include <map>
#include <random>

#include "check.h"
#include "seismic_blocks.h"
#include "test_params.h"
#include "test_csr.h"

using namespace sparrow;

// Rows of `min_nnz`..`max_nnz` entries around `topics` centres; `tail` > 0 draws heavy-tailed
// weights (a few large values per row, as SPLADE's), else uniform ones; `zeros` mixes in zeros.
Csr Rows(size_t rows, size_t min_nnz, size_t max_nnz, size_t vocab, size_t topics, double tail, bool zeros, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<uint32_t>> centres(topics);
  for (auto& c : centres)
    for (size_t i = 0; i < 80; i++) c.push_back(static_cast<uint32_t>(rng() % vocab));
  Csr m;
  for (size_t r = 0; r < rows; r++) {
    std::map<uint32_t, float> row;
    auto& c = centres[rng() % topics];
    size_t nnz = min_nnz + rng() % (max_nnz - min_nnz + 1);
    float scale = std::uniform_real_distribution<float>(0.2f, 5.0f)(rng);  // rows of different norms
    while (row.size() < nnz) {
      uint32_t t = (rng() % 3) ? c[rng() % c.size()] : static_cast<uint32_t>(rng() % vocab);
      float u = std::uniform_real_distribution<float>(0.0f, 1.0f)(rng);
      float v = tail > 0 ? scale * std::pow(u, static_cast<float>(tail)) : std::uniform_real_distribution<float>(0.01f, 3.0f)(rng);
      if (zeros && rng() % 10 == 0) v = 0.0f;
      row[t] = v;
    }
    for (auto [t, v] : row) {
      m.indices.push_back(t);
      m.values.push_back(v);
    }
    m.indptr.push_back(static_cast<uint32_t>(m.indices.size()));
  }
  return m;
}

bool Same(const ListOut& a, const ListOut& b) {
  return a.block_sizes == b.block_sizes && a.rows == b.rows && a.summary_sizes == b.summary_sizes &&
         a.summary_terms == b.summary_terms && a.summary_codes == b.summary_codes && a.summary_min == b.summary_min &&
         a.summary_scale == b.summary_scale;
}

// Every list of the rows built both ways; returns the blocks that took the fast path.
size_t Compare(const char* name, const Csr& m, const SeismicParams& p) {
  CsrView docs = m.View();
  TermDict dict(docs);
  DocTops tops = ComputeDocTops(docs, dict, p.doc_cut, 1);
  BlockBuilder fast(docs, dict, tops, p), whole(docs, dict, tops, p, false);
  std::vector<std::vector<uint32_t>> lists(dict.Size());
  for (uint32_t r = 0; r < docs.rows; r++)
    for (size_t i = docs.indptr[r]; i < docs.indptr[r + 1]; i++) lists[dict.Local(docs.indices[i])].push_back(r);
  size_t blocks = 0, differ = 0;
  for (uint32_t t = 0; t < lists.size(); t++) {
    ListOut a, b;
    fast.Build(t, lists[t], a);
    whole.Build(t, lists[t], b);
    blocks += a.block_sizes.size();
    if (!Same(a, b)) differ++;
  }
  CHECK(differ == 0, "%s: %zu of %zu lists differ", name, differ, lists.size());
  CHECK(whole.FastBlocks() == 0, "%s: the reference took the fast path", name);
  std::printf("%s: %zu of %zu blocks from the top entries, summaries identical\n", name, fast.FastBlocks(), blocks);
  return fast.FastBlocks();
}

int main() {
  SeismicParams p = TestParams();
  p.centroid_fraction = 0.02;
  // SPLADE-like: long heavy-tailed rows of different norms; the fast path must carry most blocks.
  Csr splade = Rows(3000, 80, 160, 3000, 40, 3.0, false, 1);
  size_t taken = Compare("splade-like", splade, p);
  CHECK(taken > 0, "the fast path was never taken on SPLADE-like rows");
  // Uniform weights (ties at the cut are rare but the margin is thin), zeros mixed in.
  Compare("uniform + zeros", Rows(2000, 30, 120, 1500, 20, 0.0, true, 2), p);
  // Short rows (whole: nothing left out), a larger cap, and the energy cut binding (cap 8).
  Compare("short rows", Rows(2000, 3, 20, 800, 10, 2.0, false, 3), p);
  SeismicParams wide = p;
  wide.summary_cap = 8;
  wide.summary_energy = 0.3;
  Compare("energy binds", splade, wide);
  SeismicParams all = p;
  all.summary_energy = 1.0;
  Compare("energy 1", splade, all);
  SeismicParams small = p;
  small.summary_cap = 0.5;
  small.centroid_fraction = 0.2;
  Compare("cap 0.5, small blocks", splade, small);
  return sparrow_test::Finish("summary_fast_test");
}
