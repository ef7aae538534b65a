// ThreadSanitizer: a segment's deleted rows (RowBitmap) written by one owner thread while several
// search threads read snapshots of it, as the addon does (the JS thread deletes documents while
// searchSegments' pool tasks hold the snapshots it took). Every snapshot must keep the bits it had
// when taken, and a write after a snapshot copies only the chunk it changes. Then several threads
// search segments at once into one MergedTopK (multi_search.h) and must equal the one-thread result.
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "channel.h"
#include "check.h"
#include "multi_search.h"
#include "row_bitmap.h"
#include "test_params.h"

using namespace sparrow;

struct Taken {
  RowBitmap::Snapshot snap;
  std::vector<uint32_t> expected;  // the owner's set rows when the snapshot was taken
};

// Three threads reading every snapshot the channel carries: its set rows among [0, end(taken)) must
// be the expected ones, and so must its count with check_count. Join once the channel is closed.
class SnapshotReaders {
 public:
  template <typename End>
  SnapshotReaders(sparrow_test::Channel<Taken>& channel, End end, bool check_count) {
    for (int r = 0; r < 3; r++)
      threads_.emplace_back([this, &channel, end, check_count] {
        Taken t;
        while (channel.Pop(t)) {
          RowBitsView view = t.snap->View();
          const uint32_t stop = end(t);
          std::vector<uint32_t> seen;
          for (uint32_t row = 0; row < stop; row++)
            if (view.Test(row)) seen.push_back(row);
          std::lock_guard<std::mutex> lock(mu_);
          read++;
          if (seen != t.expected || (check_count && t.snap->Count() != t.expected.size())) bad++;
        }
      });
  }
  void Join() {
    for (auto& t : threads_) t.join();
  }
  int bad = 0, read = 0;  // read after Join

 private:
  std::mutex mu_;
  std::vector<std::thread> threads_;
};

void WriterAndReaders() {
  constexpr size_t kRows = 300000;  // 5 chunks
  sparrow_test::Channel<Taken> channel;
  SnapshotReaders readers(channel, [](const Taken&) { return static_cast<uint32_t>(kRows); }, true);
  RowBitmap bitmap(kRows);
  std::vector<bool> truth(kRows, false);
  std::mt19937 rng(11);
  for (int round = 0; round < 200; round++) {
    for (int w = 0; w < 50; w++) {
      size_t row = rng() % kRows;
      if (rng() % 4 == 0) {
        bitmap.Clear(row);
        truth[row] = false;
      } else {
        bitmap.Set(row);
        truth[row] = true;
      }
    }
    Taken t;
    t.snap = bitmap.Snap();
    for (uint32_t row = 0; row < kRows; row++)
      if (truth[row]) t.expected.push_back(row);
    channel.Push(std::move(t));
  }
  channel.Close();
  readers.Join();
  CHECK(readers.bad == 0, "%d of %d snapshots changed after they were taken", readers.bad, readers.read);
  CHECK(readers.read == 200, "read %d snapshots", readers.read);
  // 200 rounds x up to 5 chunks shared: far fewer copies than writes (50 per round).
  CHECK(bitmap.CopiedChunks() <= 200 * 5, "copied %zu chunks", bitmap.CopiedChunks());
}

// A dense filter set (indexed by docno): the owner grows it and sets bits past its old end, and in
// the chunk the last snapshot ends in, while readers hold snapshots. A snapshot keeps its rows and
// bits; extending after a snapshot copies at most the one shared chunk at the end.
void GrowingWriterAndReaders() {
  sparrow_test::Channel<Taken> channel;
  // past its end a snapshot reads 0
  SnapshotReaders readers(channel, [](const Taken& t) { return static_cast<uint32_t>(t.snap->Rows() + 70000); }, false);
  RowBitmap bitmap(0);
  std::vector<uint32_t> truth;
  std::mt19937 rng(12);
  size_t rows = 0;
  for (int round = 0; round < 100; round++) {
    size_t grown = rows + 1 + rng() % 5000;  // about 40 chunks in all
    bitmap.Grow(grown);
    for (size_t row = rows; row < grown; row++)
      if (rng() % 3 == 0) {
        bitmap.Set(row);
        truth.push_back(static_cast<uint32_t>(row));
      }
    rows = grown;
    Taken t;
    t.snap = bitmap.Snap();
    t.expected = truth;
    channel.Push(std::move(t));
  }
  channel.Close();
  readers.Join();
  CHECK(readers.bad == 0, "%d of %d snapshots changed after they were taken", readers.bad, readers.read);
  CHECK(readers.read == 100, "read %d snapshots", readers.read);
  CHECK(bitmap.Rows() == rows, "rows %zu, expected %zu", bitmap.Rows(), rows);
  CHECK(bitmap.CopiedChunks() <= 100, "copied %zu chunks: more than one per extension", bitmap.CopiedChunks());
}

// Rows drawn over a small vocabulary; docno = 1000 + row index over all segments.
std::shared_ptr<const SeismicSegment> Segment(size_t rows, size_t first, std::mt19937& rng) {
  std::vector<uint32_t> indptr{0};
  std::vector<TermId> indices;
  std::vector<float> values;
  std::vector<DocNo> docnos;
  for (size_t r = 0; r < rows; r++) {
    std::vector<TermId> terms;
    for (TermId t = 0; t < 200; t++)
      if (rng() % 12 == 0) terms.push_back(t);
    for (TermId t : terms) {
      indices.push_back(t);
      values.push_back(0.1f + static_cast<float>(rng() % 100) / 50.0f);
    }
    indptr.push_back(static_cast<uint32_t>(indices.size()));
    docnos.push_back(static_cast<DocNo>(1000 + first + r));
  }
  SeismicParams params = TestParams();
  return SeismicSegment::Build(std::move(indptr), std::move(indices), std::move(values), std::move(docnos), params);
}

void ParallelSegments() {
  std::mt19937 rng(5);
  std::vector<SegmentQuery> parts;
  size_t first = 0;
  for (size_t rows : {400, 250, 120, 60}) {
    SegmentQuery p;
    p.segment = Segment(rows, first, rng);
    RowBitmap deleted(rows);
    for (size_t r = 0; r < rows; r += 7) deleted.Set(r);
    p.SetDeleted(deleted.Snap());
    parts.push_back(std::move(p));
    first += rows;
  }
  OrderLargestFirst(parts);
  CHECK(parts.front().segment->NumRows() == 400, "largest first");
  std::vector<uint32_t> indptr{0, 5};
  std::vector<TermId> q_terms{3, 17, 40, 99, 150};
  std::vector<float> q_values{1.0f, 0.5f, 2.0f, 0.7f, 1.1f};
  CsrView queries{indptr.data(), q_terms.data(), q_values.data(), 1};
  MultiSearchOptions opts;
  opts.k = 20;
  opts.exact = true;
  MergedTopK one(opts.k, -std::numeric_limits<float>::infinity());
  for (const auto& p : parts) SearchSegmentInto(p, queries, 0, opts, one);
  std::vector<Hit> want = one.Take();
  for (int round = 0; round < 20; round++) {
    MergedTopK shared(opts.k, -std::numeric_limits<float>::infinity());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < parts.size(); i++)
      threads.emplace_back([&, i] { SearchSegmentInto(parts[i], queries, 0, opts, shared); });
    for (auto& t : threads) t.join();
    std::vector<Hit> got = shared.Take();
    bool same = got.size() == want.size();
    for (size_t i = 0; same && i < got.size(); i++) same = got[i].docno == want[i].docno && got[i].score == want[i].score;
    CHECK(same, "round %d: parallel segments differ from one thread", round);
  }
}

int main() {
  WriterAndReaders();
  GrowingWriterAndReaders();
  ParallelSegments();
  return sparrow_test::Finish("row_bitmap_tsan");
}
