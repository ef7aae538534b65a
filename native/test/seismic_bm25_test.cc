// BM25 segments (term-frequency rows + document lengths) under AddressSanitizer: exact search
// scores every row with the live average length it is given, equal (1e-5 relative) to BM25
// computed here in double; the blocked search with pruning disabled equals exact search bit for
// bit; a plain-weight row (kNoLength) scores its weights; save + load keeps lengths, statistics and
// scores; the BM25 gather kernel equals the scalar formula bit for bit.
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include "check.h"
#include "half.h"
#include "seismic_segment.h"
#include "simd_kernels.h"
#include "test_params.h"
#include "test_rows.h"

using namespace sparrow;

namespace {

using Rows = TestRows;

// Query term -> weight; score of row r in double, with k1, b and avgdl.
double Reference(const Rows& d, size_t r, const std::map<TermId, float>& q, double avgdl, double k1, double b,
                 double plain_scale) {
  double s = 0.0;
  for (size_t i = d.indptr[r]; i < d.indptr[r + 1]; i++) {
    auto it = q.find(d.indices[i]);
    if (it == q.end()) continue;
    double tf = d.values[i];
    if (d.lengths[r] == kNoLength) {
      s += double{it->second} * tf * plain_scale;
    } else {
      s += double{it->second} * tf / (tf + k1 * (1.0 - b + b * d.lengths[r] / avgdl));
    }
  }
  return s;
}

}  // namespace

int main() {
  std::mt19937 rng(7);
  Rows d;
  for (size_t r = 0; r < 400; r++) {
    std::map<TermId, float> row;
    size_t n = 3 + rng() % 30;
    uint32_t length = 0;
    while (row.size() < n) row[static_cast<TermId>(rng() % 500) * 7919u] = static_cast<float>(1 + rng() % 9);
    for (auto [t, v] : row) d.indices.push_back(t), d.values.push_back(v), length += static_cast<uint32_t>(v);
    d.indptr.push_back(static_cast<uint32_t>(d.indices.size()));
    d.docnos.push_back(static_cast<DocNo>(r * 2 + 1));
    d.lengths.push_back(r == 5 ? kNoLength : length + static_cast<uint32_t>(rng() % 40));  // stop words count too
  }
  // Row 5 holds plain weights (a user vector in a lexical collection).
  for (size_t i = d.indptr[5]; i < d.indptr[6]; i++) d.values[i] = 0.375f;
  const double own = 40.0, k1 = 1.2, b = 0.75;
  SeismicParams params = TestParams();
  params.pruning_disabled = 1;
  params.summary_energy = 1.0;
  params.summary_cap = 1e6;
  auto seg = SeismicSegment::Build(d.indptr, d.indices, d.values, d.docnos, params, {},
                                   Bm25Build{d.lengths, Bm25Stats{own, static_cast<float>(k1), static_cast<float>(b)}});
  CHECK(seg->Forward().IsBm25(), "a BM25 segment");
  CHECK(!seg->Exhaustive(), "blocked layout (exhaustive_below 0)");

  std::vector<std::map<TermId, float>> queries;
  for (size_t i = 0; i < 20; i++) {
    std::map<TermId, float> q;
    while (q.size() < 1 + i % 5) q[static_cast<TermId>(rng() % 500) * 7919u] = 0.5f + static_cast<float>(rng() % 30) / 10.0f;
    queries.push_back(q);
  }
  queries.push_back({{d.indices[d.indptr[5]], 2.0f}});  // hits the plain-weight row
  auto csr_of = [](const std::map<TermId, float>& q, std::vector<uint32_t>& ip, std::vector<TermId>& ix, std::vector<float>& v) {
    ip = {0};
    ix.clear();
    v.clear();
    for (auto [t, w] : q) ix.push_back(t), v.push_back(w);
    ip.push_back(static_cast<uint32_t>(ix.size()));
    return CsrView{ip.data(), ix.data(), v.data(), 1};
  };

  std::string path = "/tmp/sparrow-seismic-bm25-test-" + std::to_string(getpid()) + ".seg";
  seg->Save(path, "");
  auto loaded = SeismicSegment::Load(path);
  unlink(path.c_str());
  CHECK(loaded->Forward().IsBm25() && loaded->Forward().bm25.avgdl == own, "lengths and statistics survive save + load");

  size_t checked = 0;
  for (const auto& q : queries) {
    std::vector<uint32_t> ip;
    std::vector<TermId> ix;
    std::vector<float> v;
    CsrView view = csr_of(q, ip, ix, v);
    for (double live : {own, 25.0, 90.0}) {
      auto exact = seg->SearchExact(view, 0, 1000, -1.0f, DocFilter{}, nullptr, live);
      auto again = loaded->SearchExact(view, 0, 1000, -1.0f, DocFilter{}, nullptr, live);
      CHECK(exact.size() == again.size(), "loaded: same hits");
      for (size_t i = 0; i < exact.size() && i < again.size(); i++)
        CHECK(exact[i].docno == again[i].docno && exact[i].score == again[i].score, "loaded: same scores");
      std::map<DocNo, float> got;
      for (const Hit& h : exact) got[h.docno] = h.score;
      for (size_t r = 0; r < d.docnos.size(); r++) {
        double want = Reference(d, r, q, live, k1, b, 1.0);
        auto it = got.find(d.docnos[r]);
        if (want <= 0.0) {
          CHECK(it == got.end(), "row %zu scores 0, not returned", r);
          continue;
        }
        CHECK(it != got.end(), "row %zu (score %g) returned", r, want);
        if (it != got.end()) CHECK(std::fabs(it->second - want) <= 1e-5 * want, "row %zu: %g vs %g (avgdl %g)", r, double(it->second), want, live);
        checked++;
      }
      // Blocked search, pruning disabled, same scoring: exact results bit for bit.
      SeismicQueryOptions o;
      o.k = 10;
      o.scoring = seg->Scoring(live);
      auto approx = seg->Search(view, 0, o, nullptr);
      auto top = seg->SearchExact(view, 0, 10, -std::numeric_limits<float>::infinity(), DocFilter{}, nullptr, live);
      if (live == own) {
        CHECK(approx.size() == top.size(), "pruning disabled: as many hits as exact");
        for (size_t i = 0; i < approx.size() && i < top.size(); i++)
          CHECK(approx[i].docno == top[i].docno && approx[i].score == top[i].score, "pruning disabled equals exact");
      } else {
        for (const Hit& h : approx) CHECK(got.count(h.docno) && got[h.docno] == h.score, "blocked search scores with the live statistics");
      }
    }
  }
  CHECK(checked > 500, "enough scored rows (%zu)", checked);

  // The BM25 row kernel: the scalar formula summed in order, bit for bit, with terms past the
  // query's dense range and terms the query does not hold left out.
  std::vector<float> dense(4096, 0.0f);
  std::vector<uint64_t> bits(dense.size() / 64 + 1, 0);  // DenseQuery's rule: bit `limit` clear
  for (size_t t = 0; t < dense.size(); t += 3) {
    dense[t] = 0.25f + static_cast<float>(t % 17);
    bits[t / 64] |= uint64_t{1} << (t % 64);
  }
  std::vector<uint16_t> terms;
  std::vector<Half> tfs;
  for (size_t i = 0; i < 203; i++) {
    terms.push_back(static_cast<uint16_t>(rng() % 5000));  // some past the dense array
    tfs.push_back(FloatToHalf(static_cast<float>(1 + rng() % 3000)));
  }
  const DenseQuery dq{dense.data(), bits.data(), static_cast<uint32_t>(dense.size())};
  float want = 0.0f;
  size_t hits = 0;
  for (size_t i = 0; i < terms.size(); i++) {
    float w = terms[i] < dense.size() ? dense[terms[i]] : 0.0f;
    if (w == 0.0f) continue;
    float tf = HalfToFloat(tfs[i]);
    want += w * (tf / (tf + 1.7f));
    hits++;
  }
  CHECK(hits > 20 && hits < terms.size(), "the case has hits and misses (%zu)", hits);
  CHECK(DotBm25(dq, terms.data(), tfs.data(), terms.size(), 1.7f) == want, "BM25 row kernel");
  CHECK(DotBm25Row(dq, terms.data(), tfs.data(), terms.size(), 1.7f) == want, "BM25 row kernel (%s)", SimdKernelName());
  const std::vector<uint32_t> wide(terms.begin(), terms.end());
  CHECK(DotBm25Row(dq, wide.data(), tfs.data(), wide.size(), 1.7f) == want, "BM25 row kernel, 32-bit terms");
  float plain = 0.0f;
  for (size_t i = 0; i < terms.size(); i++)
    if (terms[i] < dense.size() && dense[terms[i]] != 0.0f) plain += dense[terms[i]] * HalfToFloat(tfs[i]);
  CHECK(DotHalfRow(dq, terms.data(), tfs.data(), terms.size()) == plain, "binary16 row kernel (%s)", SimdKernelName());
  CHECK(DotHalfRow(dq, wide.data(), tfs.data(), wide.size()) == plain, "binary16 row kernel, 32-bit terms");
  return sparrow_test::Finish("seismic_bm25_test");
}
