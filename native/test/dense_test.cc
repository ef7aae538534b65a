// Checks the exact dense scan against a double-precision brute force. Built and run under
// ASan + UBSan by `npm run test:native` (native/test/Makefile).
#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <vector>

#include "dense.h"

using namespace sparrow;

static int failures = 0;
#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) {                                                    \
      std::fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                     \
    }                                                                 \
  } while (0)

static std::vector<Hit> Brute(const std::vector<float>& docs, const std::vector<DocNo>& docnos, const float* q, size_t dims, bool cosine,
                              size_t k, const DocFilter& f) {
  double qn = 0;
  for (size_t j = 0; j < dims; j++) qn += double(q[j]) * q[j];
  std::vector<Hit> all;
  for (size_t r = 0; r < docnos.size(); r++) {
    if (!f.Accept(docnos[r])) continue;
    double dot = 0, dn = 0;
    for (size_t j = 0; j < dims; j++) {
      dot += double(q[j]) * docs[r * dims + j];
      dn += double(docs[r * dims + j]) * docs[r * dims + j];
    }
    if (cosine) dot /= std::sqrt(qn) * std::sqrt(dn);
    all.push_back(Hit{float(dot), docnos[r]});
  }
  std::sort(all.begin(), all.end(), Better);
  if (all.size() > k) all.resize(k);
  return all;
}

static void TestScan(bool cosine, size_t dims, size_t n) {
  std::mt19937 rng(7);
  std::normal_distribution<float> g;
  std::vector<float> docs(n * dims);
  for (auto& x : docs) x = g(rng);
  std::vector<DocNo> docnos(n);
  for (size_t i = 0; i < n; i++) docnos[i] = DocNo(3 * i + 1);  // sparse docnos
  DenseStore store(dims, cosine ? DenseMetric::kCosine : DenseMetric::kDot);
  store.Append(docs.data(), docnos.data(), n / 2);
  store.Append(docs.data() + (n / 2) * dims, docnos.data() + n / 2, n - n / 2);
  CHECK(store.Rows() == n);
  auto snap = store.Snapshot();

  std::vector<uint64_t> tomb_words((3 * n) / 64 + 1, 0), allow_words((3 * n) / 64 + 1, 0);
  for (size_t i = 0; i < n; i += 5) tomb_words[docnos[i] >> 6] |= 1ull << (docnos[i] & 63);
  for (size_t i = 0; i < n; i += 2) allow_words[docnos[i] >> 6] |= 1ull << (docnos[i] & 63);
  BitmapView tomb{tomb_words.data(), tomb_words.size()}, allow{allow_words.data(), allow_words.size()};
  DocFilter filters[3] = {DocFilter{}, DocFilter{&tomb, nullptr}, DocFilter{&tomb, &allow}};

  const size_t nq = 5, k = 10;
  std::vector<float> queries(nq * dims);
  for (auto& x : queries) x = g(rng);
  std::vector<float> prepared;
  for (size_t q = 0; q < nq; q++) {
    auto p = PrepareQuery(queries.data() + q * dims, dims, store.Metric());
    prepared.insert(prepared.end(), p.begin(), p.end());
  }
  for (const DocFilter& f : filters) {
    // three tasks over uneven ranges, merged
    size_t cuts[4] = {0, n / 3 + 1, (2 * n) / 3 + 5, n};
    std::vector<std::vector<std::vector<Hit>>> parts(nq);
    for (int t = 0; t < 3; t++) {
      std::vector<TopK> tops(nq, TopK(k));
      ScanRange(*snap, prepared.data(), nq, cuts[t], cuts[t + 1], f, tops);
      for (size_t q = 0; q < nq; q++) parts[q].push_back(tops[q].Take());
    }
    for (size_t q = 0; q < nq; q++) {
      auto got = MergeTopK(parts[q], k);
      auto want = Brute(docs, docnos, queries.data() + q * dims, dims, cosine, k, f);
      CHECK(got.size() == want.size());
      for (size_t i = 0; i < std::min(got.size(), want.size()); i++) {
        CHECK(std::fabs(got[i].score - want[i].score) < 1e-3f * (1 + std::fabs(want[i].score)));
        // identical ranking unless two scores are within float noise
        if (got[i].docno != want[i].docno) CHECK(std::fabs(got[i].score - want[i].score) < 1e-4f);
        CHECK(f.Accept(got[i].docno));
      }
    }
  }
  // Score by docnos, including an absent one
  DocNo ask[3] = {docnos[4], 2 /* absent */, docnos[n - 1]};
  float out[3];
  store.Score(queries.data(), ask, 3, out);
  std::vector<float> d4(docs.begin() + 4 * dims, docs.begin() + 5 * dims);
  auto b4 = Brute(d4, {docnos[4]}, queries.data(), dims, cosine, 1, DocFilter{});
  CHECK(std::fabs(out[0] - b4[0].score) < 1e-3f * (1 + std::fabs(b4[0].score)));
  CHECK(std::isnan(out[1]));
  CHECK(!std::isnan(out[2]));
}

static void TestErrors() {
  DenseStore store(4, DenseMetric::kCosine);
  float ok[4] = {1, 0, 0, 0}, zero[4] = {0, 0, 0, 0}, nan[4] = {1, NAN, 0, 0};
  DocNo d1 = 1, d2 = 2;
  store.Append(ok, &d1, 1);
  bool threw = false;
  try { store.Append(ok, &d1, 1); } catch (const std::invalid_argument&) { threw = true; }
  CHECK(threw);
  threw = false;
  try { store.Append(zero, &d2, 1); } catch (const std::invalid_argument&) { threw = true; }
  CHECK(threw);
  threw = false;
  try { store.Append(nan, &d2, 1); } catch (const std::invalid_argument&) { threw = true; }
  CHECK(threw);
  float two[8] = {1, 1, 0, 0, 2, 0, 0, 0};
  DocNo dup[2] = {5, 5};
  threw = false;
  try { store.Append(two, dup, 2); } catch (const std::invalid_argument&) { threw = true; }
  CHECK(threw);
  CHECK(store.Rows() == 1);  // nothing changed by the failed appends
  CHECK(!store.Has(2) && !store.Has(5));
  threw = false;
  try { DenseStore bad(0, DenseMetric::kDot); } catch (const std::invalid_argument&) { threw = true; }
  CHECK(threw);
}

int main() {
  TestScan(false, 384, 9000);  // spans three chunks
  TestScan(true, 384, 5000);
  TestScan(false, 13, 777);    // dims not a multiple of 8
  TestScan(true, 1, 100);
  TestErrors();
  if (failures) {
    std::fprintf(stderr, "%d failures\n", failures);
    return 1;
  }
  std::printf("dense_test: ok\n");
  return 0;
}
