// EstimateWork (multi_search.h): the work of one query over several segments, in term-at-a-time
// postings, counted as documented per kind: an exhaustive segment's lists of every query term (x 1),
// a blocked segment's lists of its query_cut largest query terms (x kWorkPerBlockedPosting), every
// forward entry of an exact part (x kWorkPerExactEntry: entries, not rows), plus kWorkPerPart a
// part, summed over the parts.
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "check.h"
#include "multi_search.h"
#include "test_csr.h"
#include "test_params.h"

using namespace sparrow;

namespace {

// `rows` rows over terms 0..199, each term present with probability 1 / every.
Csr Draw(size_t rows, unsigned every, std::mt19937& rng) {
  Csr out;
  for (size_t r = 0; r < rows; r++) {
    for (TermId t = 0; t < 200; t++) {
      if (rng() % every != 0) continue;
      out.indices.push_back(t);
      out.values.push_back(0.1f + static_cast<float>(rng() % 100) / 50.0f);
    }
    out.indptr.push_back(static_cast<uint32_t>(out.indices.size()));
  }
  return out;
}

std::shared_ptr<const SeismicSegment> Build(const Csr& rows, size_t first, size_t exhaustive_below) {
  std::vector<DocNo> docnos(rows.indptr.size() - 1);
  for (size_t r = 0; r < docnos.size(); r++) docnos[r] = static_cast<DocNo>(first + r);
  SeismicParams params = TestParams();
  params.exhaustive_below = exhaustive_below;
  return SeismicSegment::Build(rows.indptr, rows.indices, rows.values, std::move(docnos), params);
}

// Rows of `rows` holding term t.
size_t Df(const Csr& rows, TermId t) { return static_cast<size_t>(std::count(rows.indices.begin(), rows.indices.end(), t)); }

SegmentQuery Part(std::shared_ptr<const SeismicSegment> s, size_t query_cut = 0, bool exact = false) {
  SegmentQuery p;
  p.segment = std::move(s);
  p.query_cut = query_cut;
  p.exact = exact;
  return p;
}

bool Near(double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(b)); }

}  // namespace

int main() {
  std::mt19937 rng(11);
  Csr short_rows = Draw(300, 20, rng);  // ~10 terms a row
  Csr long_rows = Draw(300, 4, rng);    // ~50 terms a row: as many rows, five times the entries
  Csr blocked_rows = Draw(400, 8, rng);
  auto shortSeg = Build(short_rows, 0, 1u << 30);
  auto longSeg = Build(long_rows, 1000, 1u << 30);
  auto blockedSeg = Build(blocked_rows, 2000, 0);
  CHECK(shortSeg->Exhaustive() && longSeg->Exhaustive() && !blockedSeg->Exhaustive(), "layouts");

  // Query terms ascend; by value the order is 40 (2.0), 150 (1.1), 3 (1.0), 99 (0.7), 17 (0.5).
  std::vector<uint32_t> indptr{0, 5};
  std::vector<TermId> q_terms{3, 17, 40, 99, 150};
  std::vector<float> q_values{1.0f, 0.5f, 2.0f, 0.7f, 1.1f};
  CsrView queries{indptr.data(), q_terms.data(), q_values.data(), 1};

  // Exhaustive: every query term's whole list (the query cut does not apply), weight 1.
  size_t short_postings = 0;
  for (TermId t : q_terms) short_postings += Df(short_rows, t);
  double ex = EstimateWork({Part(shortSeg, 2)}, queries, 0, false);
  CHECK(Near(ex, kWorkPerPart + double(short_postings)), "exhaustive: %f, want %zu postings", ex, short_postings);

  // Exact: forward entries, not rows — two segments of equal rows differ by their entries.
  double exact_short = EstimateWork({Part(shortSeg)}, queries, 0, true);
  double exact_long = EstimateWork({Part(longSeg)}, queries, 0, true);
  CHECK(Near(exact_short, kWorkPerPart + kWorkPerExactEntry * double(short_rows.indices.size())), "exact short: %f", exact_short);
  CHECK(Near(exact_long, kWorkPerPart + kWorkPerExactEntry * double(long_rows.indices.size())), "exact long: %f", exact_long);
  CHECK(exact_long - kWorkPerPart > 3 * (exact_short - kWorkPerPart), "longer rows, more work at equal rows: %f vs %f", exact_long, exact_short);
  // A part marked exact counts its entries even when the search is approximate.
  double marked = EstimateWork({Part(longSeg, 0, true)}, queries, 0, false);
  CHECK(Near(marked, exact_long), "part.exact: %f vs %f", marked, exact_long);

  // Blocked: the lists of the query_cut largest query terms, x kWorkPerBlockedPosting.
  size_t cut2 = blockedSeg->ListPostings(40) + blockedSeg->ListPostings(150);
  size_t all = 0;
  for (TermId t : q_terms) all += blockedSeg->ListPostings(t);
  CHECK(cut2 > 0 && all > cut2, "the blocked segment keeps lists for the query terms: %zu of %zu", cut2, all);
  double b2 = EstimateWork({Part(blockedSeg, 2)}, queries, 0, false);
  double b_all = EstimateWork({Part(blockedSeg, 0)}, queries, 0, false);
  CHECK(Near(b2, kWorkPerPart + kWorkPerBlockedPosting * double(cut2)), "blocked cut 2: %f", b2);
  CHECK(Near(b_all, kWorkPerPart + kWorkPerBlockedPosting * double(all)), "blocked no cut: %f", b_all);

  // Several parts: the sum of each part's work.
  double sum = EstimateWork({Part(shortSeg, 2), Part(longSeg, 0, true), Part(blockedSeg, 2)}, queries, 0, false);
  CHECK(Near(sum, ex + exact_long + b2), "sum over parts: %f vs %f", sum, ex + exact_long + b2);
  // The weights order as measured (bench:placement): a blocked posting costs more than a
  // term-at-a-time one, a scanned forward entry less.
  CHECK(kWorkPerBlockedPosting > 1.0 && kWorkPerExactEntry < 1.0 && kWorkPerPart > 0.0, "weights");
  double none = EstimateWork({}, queries, 0, false);
  CHECK(none == 0.0, "no parts, no work: %f", none);
  return sparrow_test::Finish("multi_search_estimate_test");
}
