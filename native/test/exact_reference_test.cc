// Calibration's exact reference (exact_reference.h) under AddressSanitizer: binary16 rounding of
// weights (ties to even), and on random rows, small (table) and hashed (2^32) vocabularies, every
// query's hits equal a brute-force scan that sums in the same order, hit by hit, with 1 or 3
// threads (rows split differently); rows scoring 0 are left out and ties rank by row.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <vector>

#include "check.h"
#include "exact_reference.h"
#include "half.h"

using namespace sparrow;

namespace {

struct Csr {
  std::vector<uint32_t> indptr{0};
  std::vector<TermId> indices;
  std::vector<float> values;
  CsrView View() const { return CsrView{indptr.data(), indices.data(), values.data(), indptr.size() - 1}; }
};

Csr Random(std::mt19937& rng, size_t rows, size_t per_row, const std::vector<TermId>& vocab) {
  Csr c;
  for (size_t r = 0; r < rows; r++) {
    std::map<TermId, float> row;
    for (size_t i = 0; i < per_row; i++) row[vocab[rng() % vocab.size()]] = static_cast<float>(rng() % 1000) / 97.0f;
    for (auto [t, v] : row) {
      c.indices.push_back(t);
      c.values.push_back(v);
    }
    c.indptr.push_back(static_cast<uint32_t>(c.indices.size()));
  }
  return c;
}

// The reference's own arithmetic, by brute force: per row, its terms in ascending order.
std::vector<Hit> Brute(const Csr& d, const std::vector<DocNo>& docnos, const Csr& q, size_t qi, size_t k, bool round) {
  std::vector<std::pair<float, uint32_t>> scored;
  for (uint32_t r = 0; r + 1 < d.indptr.size(); r++) {
    float acc = 0.0f;
    for (size_t i = d.indptr[r]; i < d.indptr[r + 1]; i++)
      for (size_t j = q.indptr[qi]; j < q.indptr[qi + 1]; j++)
        if (d.indices[i] == q.indices[j]) acc += q.values[j] * (round ? RoundToHalfPrecision(d.values[i]) : d.values[i]);
    if (acc > 0.0f) scored.push_back({acc, r});
  }
  std::sort(scored.begin(), scored.end(), [](auto a, auto b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  std::vector<Hit> out;
  for (size_t i = 0; i < scored.size() && i < k; i++) out.push_back({scored[i].first, docnos[scored[i].second]});
  return out;
}

// Every binary16 value converts to the float it denotes: (-1)^s x mant x 2^-24 (subnormal) or
// (1 + mant / 1024) x 2^(exp - 15), infinities and NaNs (payload kept) included; and back.
void CheckEveryHalf() {
  for (uint32_t b = 0; b < 65536; b++) {
    Half h{static_cast<uint16_t>(b)};
    uint32_t exp = (b >> 10) & 0x1fu, mant = b & 0x3ffu;
    float got = HalfToFloat(h);
    if (exp == 31) {
      uint32_t bits;
      std::memcpy(&bits, &got, sizeof bits);
      CHECK(bits == ((b & 0x8000u) << 16 | 0x7f800000u | mant << 13), "infinity / NaN bits");
      continue;
    }
    double want = exp == 0 ? std::ldexp(double(mant), -24) : std::ldexp(1.0 + mant / 1024.0, int(exp) - 15);
    if (b & 0x8000u) want = -want;
    CHECK(got == static_cast<float>(want) && std::signbit(got) == bool(b & 0x8000u), "half %u", b);
    CHECK(FloatToHalf(got).bits == h.bits, "round trip %u", b);
  }
}

}  // namespace

int main() {
  CheckEveryHalf();
  CHECK(RoundToHalfPrecision(1.0f) == 1.0f, "1");
  CHECK(RoundToHalfPrecision(1.0f + std::ldexp(1.0f, -11)) == 1.0f, "halfway rounds to the even neighbour");
  CHECK(RoundToHalfPrecision(1.0f + 3 * std::ldexp(1.0f, -11)) == 1.0f + std::ldexp(1.0f, -9), "halfway up to even");
  CHECK(RoundToHalfPrecision(3.14159f) == 3.140625f, "pi");

  std::mt19937 rng(11);
  size_t checked = 0;
  for (bool hashed : {false, true}) {
    std::vector<TermId> vocab;
    for (uint32_t t = 0; t < 300; t++) vocab.push_back(hashed ? static_cast<TermId>(rng()) | 0x80000000u : t * 3);
    const Csr docs = Random(rng, 3000, 12, vocab);  // > 2 x 1024 rows: 3 threads split them in 3
    const Csr queries = Random(rng, 20, 6, vocab);
    std::vector<DocNo> docnos(3000);
    for (size_t r = 0; r < docnos.size(); r++) docnos[r] = static_cast<DocNo>(5 + 2 * r);
    for (bool round : {true, false}) {
      std::vector<std::vector<Hit>> want;
      for (size_t q = 0; q < 20; q++) want.push_back(Brute(docs, docnos, queries, q, 5000, round));
      for (size_t threads : {1, 3})
        for (size_t k : {1, 10, 5000}) {
          auto got = ExactReference(docs.View(), docnos.data(), queries.View(), k, round, threads);
          CHECK(got.size() == 20, "one list per query");
          for (size_t q = 0; q < got.size(); q++) {
            size_t n = std::min(k, want[q].size());
            CHECK(got[q].size() == n, "hits of query %zu: %zu vs %zu", q, got[q].size(), n);
            for (size_t i = 0; i < n && i < got[q].size(); i++) {
              CHECK(got[q][i].docno == want[q][i].docno && got[q][i].score == want[q][i].score, "query %zu hit %zu", q, i);
              checked++;
            }
          }
        }
    }
  }
  CHECK(checked > 5000, "enough hits compared (%zu)", checked);
  return sparrow_test::Finish("exact_reference_test");
}
