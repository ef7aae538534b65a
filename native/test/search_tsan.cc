// ThreadSanitizer: searches on the pool while the owner thread keeps writing, as the addon runs
// them. Seismic segments (one built with 2 threads, one saved and mapped back) are searched from
// several pool threads at once with tombstone snapshots of a bitmap the owner keeps changing; a
// dense store is scanned from snapshots while the owner appends. Every answer must equal the same
// search run alone on the owner thread with the same snapshot.
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include "test_params.h"
#include "bitmap.h"
#include "check.h"
#include "dense.h"
#include "seismic_segment.h"
#include "thread_pool.h"
#include "test_csr.h"

using namespace sparrow;

static Csr Random(size_t rows, size_t nnz, size_t vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  Csr m;
  for (size_t r = 0; r < rows; r++) {
    std::map<TermId, float> row;
    while (row.size() < nnz) row[static_cast<TermId>(rng() % vocab)] = std::uniform_real_distribution<float>(0.01f, 3.0f)(rng);
    for (auto [t, v] : row) m.indices.push_back(t), m.values.push_back(v);
    m.indptr.push_back(static_cast<uint32_t>(m.indices.size()));
  }
  return m;
}

struct Done {
  std::mutex mu;
  std::condition_variable cv;
  size_t pending = 0;
  void Add() {
    std::lock_guard<std::mutex> lock(mu);
    pending++;
  }
  void Finish() {
    std::lock_guard<std::mutex> lock(mu);
    pending--;
    cv.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return pending == 0; });
  }
};

// One submitted batch: what the glue's BatchJob holds (the snapshot lives as long as the job).
struct Job {
  std::shared_ptr<const BitmapWords> tombstones;
  BitmapView view;
  std::vector<std::vector<Hit>> got, want;
};

static bool Same(const std::vector<Hit>& a, const std::vector<Hit>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++)
    if (a[i].docno != b[i].docno || a[i].score != b[i].score) return false;
  return true;
}

static void Seismic(ThreadPool& pool) {
  const size_t rows = 1500;
  Csr docs = Random(rows, 30, 2000, 1), queries = Random(12, 8, 2000, 2);
  std::vector<DocNo> docnos(rows);
  for (size_t i = 0; i < rows; i++) docnos[i] = static_cast<DocNo>(2 * i);
  SeismicParams params = TestParams();
  params.threads = 2;
  params.n_knn = 4;
  auto built = SeismicSegment::Build(docs.indptr, docs.indices, docs.values, docnos, params);
  std::string path = "/tmp/sparrow-search-tsan-" + std::to_string(getpid()) + ".seg";
  built->Save(path, "");
  auto mapped = SeismicSegment::Load(path);
  unlink(path.c_str());
  const SeismicSegment* segments[2] = {built.get(), mapped.get()};

  Bitmap tombstones(2 * rows);
  std::mt19937 rng(3);
  std::vector<std::shared_ptr<Job>> jobs;
  Done done;
  std::mutex fail_mu;
  for (size_t round = 0; round < 24; round++) {
    for (int i = 0; i < 40; i++) {  // the owner deletes and re-adds documents between searches
      DocNo d = static_cast<DocNo>(2 * (rng() % rows));
      if (rng() % 3 == 0) tombstones.Clear(d);
      else tombstones.Set(d);
    }
    auto job = std::make_shared<Job>();
    job->tombstones = tombstones.Snapshot();
    job->view = ViewOf(*job->tombstones);
    const SeismicSegment* seg = segments[round % 2];
    SeismicQueryOptions opts;
    opts.k = 10;
    opts.n_knn = round % 3 == 0 ? 4 : 0;
    opts.filter.tombstones = &job->view;
    size_t nq = queries.indptr.size() - 1;
    job->got.resize(nq);
    for (size_t q = 0; q < nq; q++) job->want.push_back(seg->Search(queries.View(), q, opts, nullptr));
    done.Add();
    CsrView qv = queries.View();
    pool.ForEachAsync(
        nq, [job, seg, opts, qv](size_t q) { job->got[q] = seg->Search(qv, q, opts, nullptr); },
        [job, round, &done, &fail_mu](std::exception_ptr err) {
          {
            std::lock_guard<std::mutex> lock(fail_mu);
            CHECK(err == nullptr);
            for (size_t q = 0; q < job->got.size(); q++) CHECK(Same(job->got[q], job->want[q]), "round %zu query %zu", round, q);
          }
          // After fail_mu is released: once the last Finish lets Wait return, fail_mu (on the
          // waiting thread's stack) is gone, and unlocking it then raced with the next test's frame.
          done.Finish();
        });
    jobs.push_back(job);
    if (round % 4 == 3) jobs.clear();  // the owner drops its references while searches may run
  }
  done.Wait();
  // The mapped file answers like the segment it was saved from.
  SeismicQueryOptions opts;
  opts.k = 10;
  opts.n_knn = 4;
  for (size_t q = 0; q + 1 < queries.indptr.size(); q++)
    CHECK(Same(built->Search(queries.View(), q, opts, nullptr), mapped->Search(queries.View(), q, opts, nullptr)), "query %zu", q);
}

static void Dense(ThreadPool& pool) {
  const size_t dims = 16;
  DenseStore store(dims, DenseMetric::kCosine);
  std::mt19937 rng(8);
  std::normal_distribution<float> g;
  std::vector<float> q(dims);
  for (auto& x : q) x = g(rng);
  std::vector<float> prepared = PrepareQuery(q.data(), dims, DenseMetric::kCosine);
  Done done;
  std::mutex fail_mu;
  DocNo next = 0;
  for (size_t round = 0; round < 30; round++) {
    std::vector<float> rows(300 * dims);  // 9000 rows in all: the store grows past a chunk
    for (auto& x : rows) x = g(rng);
    std::vector<DocNo> ds(300);
    for (auto& d : ds) d = next++;
    store.Append(rows.data(), ds.data(), ds.size());
    auto snap = store.Snapshot();
    std::vector<TopK> alone(1, TopK(5));
    ScanRange(*snap, prepared.data(), 1, 0, snap->rows, DocFilter{}, alone);
    auto want = std::make_shared<std::vector<Hit>>(alone[0].Take());
    auto parts = std::make_shared<std::vector<std::vector<Hit>>>(3);
    done.Add();
    pool.ForEachAsync(
        3,
        [snap, parts, &prepared](size_t t) {
          std::vector<TopK> tops(1, TopK(5));
          size_t n = snap->rows, begin = n * t / 3, end = n * (t + 1) / 3;
          ScanRange(*snap, prepared.data(), 1, begin, end, DocFilter{}, tops);
          (*parts)[t] = tops[0].Take();
        },
        [parts, want, &done, &fail_mu](std::exception_ptr err) {
          {
            std::lock_guard<std::mutex> lock(fail_mu);
            CHECK(err == nullptr);
            CHECK(Same(MergeTopK(*parts, 5), *want));
          }
          done.Finish();  // after fail_mu is released (see Seismic)
        });
  }
  done.Wait();
}

int main() {
  ThreadPool& pool = ThreadPool::Global();
  pool.SetThreads(3);
  Seismic(pool);
  Dense(pool);
  pool.Shutdown();
  return sparrow_test::Finish("search_tsan");
}
