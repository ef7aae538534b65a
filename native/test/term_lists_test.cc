// Exhaustive Seismic segments (term lists, term_lists.h) under AddressSanitizer: the default search
// of an exhaustive segment (term at a time) equals its forward scan (SearchExact) bit for bit, hit
// by hit, on random rows: learned weights over several magnitudes (a non-zero value_exp), 16- and
// 32-bit local term ids, BM25 term-frequency rows (with a plain-weight row) at live average
// lengths, allow and tombstone filters, deleted rows, thresholds, k larger than the matches; and
// after save + load (the lists are rebuilt from the file's forward rows).
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include "check.h"
#include "seismic_segment.h"
#include "test_params.h"
#include "test_rows.h"

using namespace sparrow;

namespace {

using Rows = TestRows;

// `vocab` distinct collection ids spread over 2^32 (spacing > 1: ids are not local ids).
Rows RandomRows(std::mt19937& rng, size_t n, uint32_t vocab, bool tf) {
  Rows d;
  for (size_t r = 0; r < n; r++) {
    std::map<TermId, float> row;
    size_t len = r % 17 == 0 ? 0 : 1 + rng() % 40;  // some empty rows
    uint32_t length = 0;
    while (row.size() < len) {
      TermId t = static_cast<TermId>(rng() % vocab) * 9973u;
      // learned weights over 2^-6 .. 2^6 (binary16 under the segment's scale), or term frequencies
      row[t] = tf ? static_cast<float>(1 + rng() % 12) : std::ldexp(static_cast<float>(1 + rng() % 1000) / 1000.0f, static_cast<int>(rng() % 13) - 6);
    }
    for (auto [t, v] : row) d.indices.push_back(t), d.values.push_back(v), length += static_cast<uint32_t>(v);
    d.indptr.push_back(static_cast<uint32_t>(d.indices.size()));
    d.docnos.push_back(static_cast<DocNo>(3 * r + 2));
    d.lengths.push_back(tf && r % 29 == 5 ? kNoLength : length + static_cast<uint32_t>(rng() % 30));
  }
  return d;
}

struct Query {
  std::vector<uint32_t> indptr{0};
  std::vector<TermId> indices;
  std::vector<float> values;
  CsrView View() const { return CsrView{indptr.data(), indices.data(), values.data(), 1}; }
};

Query RandomQuery(std::mt19937& rng, uint32_t vocab, size_t len) {
  std::map<TermId, float> q;
  while (q.size() < len) q[static_cast<TermId>(rng() % (vocab + vocab / 10)) * 9973u] = (rng() % 7 == 0) ? 0.0f : 0.05f + static_cast<float>(rng() % 300) / 37.0f;
  Query out;
  for (auto [t, w] : q) out.indices.push_back(t), out.values.push_back(w);
  out.indptr.push_back(static_cast<uint32_t>(out.indices.size()));
  return out;
}

// Searches whose lists held fewer postings than the segment's rows (reached rows recorded), and not.
size_t g_recorded = 0, g_dense = 0;

bool Same(const std::vector<Hit>& a, const std::vector<Hit>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++)
    if (a[i].docno != b[i].docno || a[i].score != b[i].score) return false;  // bit for bit (no NaN here)
  return true;
}

// Every query x k x threshold x filter: Search (term lists) equals SearchExact (forward scan).
size_t Compare(const char* name, const SeismicSegment& seg, const Rows& d, std::mt19937& rng, uint32_t vocab,
               const std::vector<double>& avgdls) {
  size_t n = d.docnos.size(), compared = 0, nonempty = 0;
  // Filters: allow every other docno, tombstone every fifth, delete rows 3 mod 7.
  std::vector<uint64_t> allow_words((3 * n + 64) / 64 + 1, 0), dead_words((3 * n + 64) / 64 + 1, 0);
  for (size_t r = 0; r < n; r++) {
    DocNo dn = d.docnos[r];
    if (r % 2 == 0) allow_words[dn >> 6] |= uint64_t{1} << (dn & 63);
    if (r % 5 == 0) dead_words[dn >> 6] |= uint64_t{1} << (dn & 63);
  }
  std::vector<uint64_t> deleted_chunk(1u << (RowBitsView::kChunkShift - 6), 0);
  for (size_t r = 3; r < n; r += 7) deleted_chunk[r >> 6] |= uint64_t{1} << (r & 63);
  const uint64_t* chunks[] = {deleted_chunk.data()};
  BitmapView allow{allow_words.data(), allow_words.size()}, dead{dead_words.data(), dead_words.size()};
  RowBitsView deleted{chunks, 1};
  std::vector<DocFilter> filters = {DocFilter{}, DocFilter{nullptr, &allow, nullptr}, DocFilter{&dead, nullptr, &deleted},
                                    DocFilter{&dead, &allow, &deleted}};
  for (size_t i = 0; i < 30; i++) {
    // every third query long: on the small vocabulary its lists hold more postings than the segment
    // has rows, so the accumulators find the rows reached by reading every row instead of recording them
    Query q = RandomQuery(rng, vocab, i % 3 == 2 ? 60 + i : 1 + i % 25);
    CsrView view = q.View();
    for (double avgdl : avgdls) {
      for (size_t k : {size_t{1}, size_t{10}, size_t{100}, n + 50}) {
        for (const DocFilter& filter : filters) {
          auto all = seg.SearchExact(view, 0, n, -std::numeric_limits<float>::infinity(), filter, nullptr, avgdl);
          // No floor, the median score and a floor above every score.
          float median = all.empty() ? 0.0f : all[all.size() / 2].score;
          for (float threshold : {-std::numeric_limits<float>::infinity(), median, 1e30f}) {
            auto want = seg.SearchExact(view, 0, k, threshold, filter, nullptr, avgdl);
            SeismicQueryOptions o;
            o.k = k;
            o.threshold = threshold;
            o.filter = filter;
            o.query_cut = 2;  // knobs do not apply to an exhaustive segment
            o.heap_factor = 0.1f;
            o.scoring = seg.Scoring(avgdl);
            QueryStats stats;
            auto got = seg.Search(view, 0, o, &stats);
            CHECK(Same(got, want), "%s: query %zu, k %zu, avgdl %g, threshold %g: %zu vs %zu hits", name, i, k, avgdl,
                  double(threshold), got.size(), want.size());
            CHECK(stats.docs_scored <= n && stats.docs_scored >= want.size(), "%s: docs scored %zu", name, size_t(stats.docs_scored));
            (stats.postings_total >= n ? g_dense : g_recorded)++;
            compared++;
            nonempty += !want.empty();
          }
        }
      }
    }
  }
  CHECK(nonempty > compared / 4, "%s: enough non-empty results (%zu of %zu)", name, nonempty, compared);
  return compared;
}

std::shared_ptr<const SeismicSegment> Reloaded(const SeismicSegment& seg, const char* tag) {
  std::string path = "/tmp/sparrow-term-lists-test-" + std::to_string(getpid()) + tag + ".seg";
  seg.Save(path, "");
  auto loaded = SeismicSegment::Load(path);
  unlink(path.c_str());
  return loaded;
}

}  // namespace

int main() {
  std::mt19937 rng(11);
  SeismicParams params = TestParams();
  params.exhaustive_below = uint64_t{1} << 53;
  size_t compared = 0;

  // Learned weights, 16-bit local ids (800 terms) and 32-bit ones (~78,000 of 200,000 terms).
  for (uint32_t vocab : {800u, 200000u}) {
    Rows d = RandomRows(rng, vocab == 800 ? 600 : 5000, vocab, false);
    auto seg = SeismicSegment::Build(d.indptr, d.indices, d.values, d.docnos, params);
    CHECK(seg->Exhaustive(), "exhaustive layout");
    CHECK(seg->Forward().value_exp != 0, "weights under a segment scale (value_exp %d)", seg->Forward().value_exp);
    CHECK(seg->Forward().IsNarrow() == (vocab == 800), "term id width");
    CHECK(seg->Lists().rows.size() == seg->Nnz(), "every non-zero in the lists");
    compared += Compare(vocab == 800 ? "learned16" : "learned32", *seg, d, rng, vocab, {0.0});
    auto loaded = Reloaded(*seg, "l");
    CHECK(loaded->Exhaustive() && loaded->Lists().rows.size() == seg->Nnz(), "loaded: lists rebuilt");
    compared += Compare("learned loaded", *loaded, d, rng, vocab, {0.0});
  }

  // BM25 rows (term frequencies, one plain-weight row in 29) at the segment's own and live avgdl.
  {
    const uint32_t vocab = 500;
    Rows d = RandomRows(rng, 700, vocab, true);
    auto seg = SeismicSegment::Build(d.indptr, d.indices, d.values, d.docnos, params, {},
                                     Bm25Build{d.lengths, Bm25Stats{60.0, 1.2f, 0.75f}});
    CHECK(seg->Exhaustive() && seg->Forward().IsBm25(), "exhaustive BM25 segment");
    compared += Compare("bm25", *seg, d, rng, vocab, {0.0, 31.5, 140.0});
    compared += Compare("bm25 loaded", *Reloaded(*seg, "b"), d, rng, vocab, {0.0, 77.0});
  }

  // A blocked segment has no term lists.
  {
    Rows d = RandomRows(rng, 200, 300, false);
    params.exhaustive_below = 0;
    auto seg = SeismicSegment::Build(d.indptr, d.indices, d.values, d.docnos, params);
    CHECK(!seg->Exhaustive() && seg->Lists().rows.empty(), "blocked: no term lists");
  }
  std::printf("term lists equal the forward scan on %zu searches (%zu with fewer postings than rows, %zu with more)\n", compared,
              g_recorded, g_dense);
  CHECK(g_recorded > compared / 10 && g_dense > compared / 10, "both accumulator modes searched");
  return sparrow_test::Finish("term_lists_test");
}
