// Harness: Seismic search against brute force on random clustered data.
// Built and run under ASan + UBSan by `npm run test:native` (native/test/Makefile).
#include <algorithm>
#include <cstdio>
#include <map>
#include <random>

#include "test_params.h"
#include "seismic_blocks.h"
#include "seismic_build.h"
#include "seismic_search.h"
#include "test_csr.h"

using namespace sparrow;

// Rows drawn around `topics` random centres over a vocabulary of `vocab` ids (spread to `stride`).
Csr Random(size_t rows, size_t nnz, size_t vocab, uint32_t stride, size_t topics, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<uint32_t>> centres(topics);
  for (auto& c : centres)
    for (size_t i = 0; i < 60; i++) c.push_back(static_cast<uint32_t>(rng() % vocab));
  Csr m;
  for (size_t r = 0; r < rows; r++) {
    std::map<uint32_t, float> row;
    auto& c = centres[rng() % topics];
    while (row.size() < nnz) {
      uint32_t t = (rng() % 2) ? c[rng() % c.size()] : static_cast<uint32_t>(rng() % vocab);
      row[t * stride] = std::uniform_real_distribution<float>(0.01f, 3.0f)(rng);
    }
    for (auto [t, v] : row) {
      m.indices.push_back(t);
      m.values.push_back(v);
    }
    m.indptr.push_back(static_cast<uint32_t>(m.indices.size()));
  }
  return m;
}

std::vector<Hit> Brute(const CsrView& docs, const CsrView& q, size_t qi, size_t k, const DocFilter& f) {
  TopK top(k);
  const TermId* t = q.indices + q.indptr[qi];
  const float* v = q.values + q.indptr[qi];
  for (size_t r = 0; r < docs.rows; r++)
    if (f.Accept(static_cast<DocNo>(r))) top.Push(DotRow(docs, r, t, v, q.RowLen(qi)), static_cast<DocNo>(r));
  return top.Take();
}

int failures = 0;
#define CHECK(c, ...)              \
  do {                             \
    if (!(c)) {                    \
      std::printf("FAIL: " __VA_ARGS__); \
      std::printf("\n");           \
      failures++;                  \
    }                              \
  } while (0)

void Run(const char* name, uint32_t stride, size_t vocab) {
  Csr docs = Random(5000, 60, vocab, stride, 50, 1), queries = Random(50, 20, vocab, stride, 50, 2);
  SeismicParams exact = TestParams();
  exact.pruning_disabled = 1;
  exact.summary_energy = 1.0;
  exact.threads = 2;
  SeismicData d = BuildSeismic(docs.View(), exact);
  const char* bad = CheckSeismicView(d.View(), docs.indptr.size() - 1, size_t{1} << 32);  // BuildSeismic alone: collection ids
  CHECK(bad == nullptr, "%s: view check: %s", name, bad);
  std::vector<uint64_t> tomb_words(5000 / 64 + 1, 0);
  for (size_t i = 0; i < 5000; i += 3) tomb_words[i / 64] |= uint64_t{1} << (i % 64);
  BitmapView tomb{tomb_words.data(), tomb_words.size()};
  for (int filtered = 0; filtered < 2; filtered++) {
    DocFilter f;
    if (filtered) f.tombstones = &tomb;
    for (size_t q = 0; q < 50; q++) {
      SeismicQueryOptions o;
      o.k = 10;
      o.filter = f;
      QueryStats st;
      auto got = SeismicSearch(d.View(), docs.View(), nullptr, queries.indices.data() + queries.indptr[q],
                               queries.values.data() + queries.indptr[q], queries.View().RowLen(q), o, &st);
      auto want = Brute(docs.View(), queries.View(), q, 10, f);
      CHECK(got.size() == want.size(), "%s: size", name);
      for (size_t i = 0; i < got.size() && i < want.size(); i++)
        CHECK(got[i].docno == want[i].docno && got[i].score == want[i].score, "%s q%zu rank %zu: %u %.9g vs %u %.9g", name,
              q, i, got[i].docno, got[i].score, want[i].docno, want[i].score);
    }
  }
  SeismicParams approx = TestParams();
  approx.n_postings = 30;
  approx.threads = 1;
  SeismicData a = BuildSeismic(docs.View(), approx);
  approx.threads = 2;
  SeismicData a2 = BuildSeismic(docs.View(), approx);
  CHECK(a.postings == a2.postings && a.summary_codes == a2.summary_codes, "%s: thread count changed the index", name);
  double hits = 0;
  QueryStats st;
  for (size_t q = 0; q < 50; q++) {
    SeismicQueryOptions o;
    o.k = 10;
    o.query_cut = 10;
    o.heap_factor = 0.8f;
    auto got = SeismicSearch(a.View(), docs.View(), nullptr, queries.indices.data() + queries.indptr[q],
                             queries.values.data() + queries.indptr[q], queries.View().RowLen(q), o, &st);
    auto want = Brute(docs.View(), queries.View(), q, 10, {});
    for (auto& w : want)
      for (auto& g : got) hits += g.docno == w.docno;
  }
  std::printf("%s: exact ok=%d, approx recall@10 %.3f, postings %zu of %zu nnz, blocks scored %llu skipped %llu, docs %llu\n",
              name, failures == 0, hits / 500.0, a.View().NumPostings(), docs.indices.size(),
              (unsigned long long)st.blocks_scored, (unsigned long long)st.blocks_skipped, (unsigned long long)st.docs_scored);
}

// Clusters over MaxBlockPostings are cut by weight. 400 rows alike but for their weight on term 7
// fall into one cluster: its list is cut into blocks of at most the cap, every posting kept once,
// and each block's weights on term 7 are all at least those of the blocks after it.
void BlockCap() {
  Csr docs;
  for (uint32_t r = 0; r < 400; r++) {
    for (uint32_t t : {1u, 2u, 3u}) {
      docs.indices.push_back(t);
      docs.values.push_back(1.0f);
    }
    docs.indices.push_back(7);
    docs.values.push_back(0.001f * static_cast<float>((r * 7919) % 400 + 1));  // distinct, shuffled
    docs.indptr.push_back(static_cast<uint32_t>(docs.indices.size()));
  }
  SeismicParams p = TestParams();
  p.centroid_fraction = 0.02;
  const size_t cap = MaxBlockPostings(p);
  CHECK(cap == 64, "block cap %zu at centroidFraction 0.02", cap);
  SeismicData d = BuildSeismic(docs.View(), p);
  SeismicView v = d.View();
  size_t list = std::lower_bound(v.list_terms.begin(), v.list_terms.end(), 7u) - v.list_terms.begin();
  CHECK(list < v.list_terms.size() && v.list_terms[list] == 7, "term 7 has a list");
  size_t total = 0;
  float floor = 1e9f;
  for (uint32_t b = v.list_blocks[list]; b < v.list_blocks[list + 1]; b++) {
    size_t n = v.block_postings[b + 1] - v.block_postings[b];
    CHECK(n <= cap, "block %u holds %zu postings (cap %zu)", b, n, cap);
    float lo = 1e9f, hi = 0.0f;
    for (size_t i = v.block_postings[b]; i < v.block_postings[b + 1]; i++) {
      float w = docs.values[v.Posting(i) * 4 + 3];
      lo = std::min(lo, w);
      hi = std::max(hi, w);
    }
    CHECK(hi <= floor, "block %u's weights (up to %g) above the previous block's (from %g)", b, hi, floor);
    floor = lo;
    total += n;
  }
  CHECK(total == 400, "term 7 keeps %zu postings of 400", total);
  CHECK(v.list_blocks[list + 1] - v.list_blocks[list] >= 400 / cap, "the cluster was cut");
}

int main() {
  BlockCap();
  Run("small vocab", 1, 3000);
  Run("2^32 vocab", 1400000, 3000);  // ids up to ~4.2e9: no per-term allocation
  std::printf(failures ? "FAILED %d\n" : "all passed\n", failures);
  return failures ? 1 : 0;
}
