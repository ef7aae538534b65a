// Seismic builds and searches at the edges of the accepted parameters (ValidateSeismicParams) on
// tiny and degenerate segments (one row, empty rows, one term), under ASan + UBSan: a parameter set
// the HTTP API accepts must build, save, load and search without a stray read, overflow or crash.
#include <cmath>
#include <string>
#include <unistd.h>
#include <map>
#include <random>
#include <vector>

#include "test_params.h"
#include "check.h"
#include "seismic_segment.h"

using namespace sparrow;

struct Rows {
  std::vector<uint32_t> indptr{0};
  std::vector<TermId> indices;
  std::vector<float> values;
  std::vector<DocNo> docnos;
};

static Rows Make(size_t rows, size_t max_nnz, uint32_t vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  Rows m;
  for (size_t r = 0; r < rows; r++) {
    std::map<TermId, float> row;
    size_t nnz = max_nnz == 0 ? 0 : rng() % (max_nnz + 1);  // some rows empty
    while (row.size() < std::min<size_t>(nnz, vocab)) row[static_cast<TermId>(rng() % vocab)] = 0.01f + static_cast<float>(rng() % 1000) / 100.0f;
    for (auto [t, v] : row) m.indices.push_back(t), m.values.push_back(v);
    m.indptr.push_back(static_cast<uint32_t>(m.indices.size()));
    m.docnos.push_back(static_cast<DocNo>(r * 2 + 1));
  }
  return m;
}

int main() {
  std::mt19937 rng(17);
  const double fractions[] = {1e-300, 1e-9, 0.3, 1.0};
  const double max_fractions[] = {1.0, 1000.0};
  const uint32_t doc_cuts[] = {1, 255};
  const uint32_t knns[] = {0, 1, 256};
  struct Shape {
    size_t rows, nnz;
    uint32_t vocab;
  } shapes[] = {{1, 1, 1}, {1, 0, 5}, {3, 4, 3}, {40, 6, 30}, {200, 12, 500}};
  size_t builds = 0;
  for (int trial = 0; trial < 160; trial++) {
    SeismicParams p = TestParams();
    p.n_postings = 1 + 4000 * fractions[rng() % 4];
    p.summary_cap = 1e6 * fractions[rng() % 4];
    p.exhaustive_below = rng() % 2 ? 0 : 1000;
    p.max_fraction = max_fractions[rng() % 2];
    p.centroid_fraction = fractions[rng() % 4];
    p.summary_energy = fractions[rng() % 4];
    p.doc_cut = doc_cuts[rng() % 2];
    p.n_knn = knns[rng() % 3];
    p.pruning_disabled = rng() % 4 == 0;
    p.seed = rng();
    p.threads = 1 + rng() % 2;
    ValidateSeismicParams(p);  // every set here is one the API accepts
    const Shape& s = shapes[trial % 5];
    Rows rows = Make(s.rows, s.nnz, s.vocab, static_cast<uint32_t>(trial));
    auto seg = SeismicSegment::Build(rows.indptr, rows.indices, rows.values, rows.docnos, p);
    builds++;
    const char* bad = CheckSeismicView(seg->Index(), seg->NumRows(), seg->Forward().terms.size());
    CHECK(bad == nullptr, "trial %d: %s", trial, bad);
    CHECK(seg->NumRows() == s.rows, "trial %d: %zu rows, built from %zu", trial, seg->NumRows(), s.rows);
    // Saved and mapped back, it is the same segment (every seal saves its segment).
    std::string path = "/tmp/sparrow-params-test-" + std::to_string(getpid()) + ".seg";
    seg->Save(path, "");
    auto loaded = SeismicSegment::Load(path);
    unlink(path.c_str());
    CHECK(loaded->NumRows() == s.rows && loaded->Nnz() == seg->Nnz(), "trial %d: reloaded %zu rows", trial, loaded->NumRows());
    std::vector<uint32_t> q_indptr{0, 3};
    std::vector<TermId> q_terms{0, 1, 2};
    std::vector<float> q_values{1.0f, 0.5f, 2.0f};
    CsrView q{q_indptr.data(), q_terms.data(), q_values.data(), 1};
    SeismicQueryOptions opts;
    opts.k = 1 + rng() % 20;
    opts.n_knn = p.n_knn;
    opts.query_cut = rng() % 3;
    opts.heap_factor = rng() % 2 ? 1.0f : 1e-30f;
    auto got = seg->Search(q, 0, opts, nullptr);
    auto exact = seg->SearchExact(q, 0, opts.k, -1.0f, DocFilter{}, nullptr);
    CHECK(got.size() <= exact.size(), "trial %d: more hits than exact search", trial);
    if (p.pruning_disabled && p.summary_energy == 1.0 && opts.query_cut == 0 && opts.heap_factor == 1.0f)
      for (size_t i = 0; i < got.size() && i < exact.size(); i++) CHECK(got[i].docno == exact[i].docno, "trial %d rank %zu", trial, i);
  }
  std::printf("%zu builds at the parameter edges\n", builds);
  return sparrow_test::Finish("seismic_params_test");
}
