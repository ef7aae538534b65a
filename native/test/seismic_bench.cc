// Tuning harness (tune query set only): Seismic vs exhaustive on CSR dumps of synthetic data.
//   g++ -std=c++20 -O3 -march=x86-64-v2 -ffp-contract=off -pthread -I native/src native/test/seismic_bench.cc
//       native/src/seismic_{types,blocks,build,search}.cc native/src/{thread_pool,simd_kernels}.cc -o /tmp/seismic_bench
//   (`npm run test:native` only checks that it builds)
//   /tmp/seismic_bench docs.bin queries.bin [n_postings centroid_fraction summary_energy max_fraction]
// A dump is: uint32 rows, uint32 nnz, indptr[rows+1], indices[nnz], float values[nnz].
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "test_params.h"
#include "seismic_build.h"
#include "seismic_search.h"

using namespace sparrow;
using Clock = std::chrono::steady_clock;

struct Dump {
  std::vector<uint32_t> indptr, indices;
  std::vector<float> values;
  CsrView View() const { return {indptr.data(), indices.data(), values.data(), indptr.size() - 1}; }
};

Dump Load(const char* path) {
  std::ifstream in(path, std::ios::binary);
  uint32_t rows = 0, nnz = 0;
  in.read(reinterpret_cast<char*>(&rows), 4);
  in.read(reinterpret_cast<char*>(&nnz), 4);
  Dump d;
  d.indptr.resize(rows + 1);
  d.indices.resize(nnz);
  d.values.resize(nnz);
  in.read(reinterpret_cast<char*>(d.indptr.data()), (rows + 1) * 4);
  in.read(reinterpret_cast<char*>(d.indices.data()), nnz * 4);
  in.read(reinterpret_cast<char*>(d.values.data()), nnz * 4);
  return d;
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  Dump docs = Load(argv[1]), qs = Load(argv[2]);
  CsrView dv = docs.View(), qv = qs.View();
  SeismicParams p = TestParams();
  if (argc > 3) p.n_postings = std::atof(argv[3]);
  if (argc > 4) p.centroid_fraction = std::atof(argv[4]);
  if (argc > 5) p.summary_energy = std::atof(argv[5]);
  if (argc > 6) p.max_fraction = std::atof(argv[6]);
  if (argc > 7) p.n_knn = std::atoi(argv[7]);
  // Exact top-10 by a full exhaustive index (term at a time).
  uint32_t max_term = 0;
  for (uint32_t t : docs.indices) max_term = std::max(max_term, t);
  std::vector<uint32_t> off(max_term + 2, 0);
  for (uint32_t t : docs.indices) off[t + 1]++;
  for (size_t t = 0; t <= max_term; t++) off[t + 1] += off[t];
  std::vector<uint32_t> prow(docs.indices.size());
  std::vector<float> pval(docs.indices.size());
  {
    std::vector<uint32_t> fill(off.begin(), off.end() - 1);
    for (uint32_t r = 0; r < dv.rows; r++)
      for (size_t i = dv.indptr[r]; i < dv.indptr[r + 1]; i++) {
        prow[fill[dv.indices[i]]] = r;
        pval[fill[dv.indices[i]]++] = dv.values[i];
      }
  }
  std::vector<std::vector<Hit>> truth(qv.rows);
  std::vector<float> acc(dv.rows);
  auto t0 = Clock::now();
  for (size_t q = 0; q < qv.rows; q++) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (size_t j = qv.indptr[q]; j < qv.indptr[q + 1]; j++) {
      uint32_t t = qv.indices[j];
      if (t > max_term) continue;
      for (size_t i = off[t]; i < off[t + 1]; i++) acc[prow[i]] += qv.values[j] * pval[i];
    }
    TopK top(10);
    for (uint32_t r = 0; r < dv.rows; r++)
      if (acc[r] > 0) top.Push(acc[r], r);
    truth[q] = top.Take();
  }
  double exh_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count() / qv.rows;
  t0 = Clock::now();
  SeismicData d = BuildSeismic(dv, p);
  double build_s = std::chrono::duration<double>(Clock::now() - t0).count();
  SeismicView v = d.View();
  std::printf("docs %zu nnz %zu | build %.1fs | postings %.1f%% of nnz | blocks %zu | summary entries %zu | index %.0f MB vs forward %.0f MB | exhaustive(dense acc) %.2f ms\n",
              dv.rows, docs.indices.size(), build_s, 100.0 * d.View().NumPostings() / docs.indices.size(), v.NumBlocks(),
              d.summary_codes.size(), v.Bytes() / 1e6, docs.indices.size() * 8 / 1e6, exh_ms);
  const char* grid = std::getenv("GRID");  // "full": every (cut, hf) pair
  std::vector<std::pair<size_t, float>> pairs = {{1000, 0.0f}, {5, 0.9f}, {8, 0.9f}, {8, 1.0f}, {10, 0.8f}, {10, 0.9f}, {10, 1.0f}, {15, 0.9f}, {15, 1.0f}, {20, 0.9f}, {20, 1.0f}};
  if (grid && std::string(grid) == "full") {
    pairs.clear();
    for (size_t cut : {5, 8, 10, 15, 20, 30})
      for (float hf : {0.6f, 0.7f, 0.8f, 0.9f, 1.0f}) pairs.push_back({cut, hf});
  }
  for (auto [cut, hf] : pairs) {
    {
      double hits = 0, ms = 0;
      QueryStats st;
      for (size_t q = 0; q < qv.rows; q++) {
        SeismicQueryOptions o;
        o.k = 10;
        o.query_cut = cut;
        o.heap_factor = hf;
        o.n_knn = p.n_knn;
        auto s = Clock::now();
        auto got = SeismicSearch(v, dv, nullptr, qv.indices + qv.indptr[q], qv.values + qv.indptr[q], qv.RowLen(q), o, &st);
        ms += std::chrono::duration<double, std::milli>(Clock::now() - s).count();
        for (auto& w : truth[q])
          for (auto& g : got) hits += g.docno == w.docno;
      }
      std::printf("cut %2zu hf %.1f: recall %.3f  mean %.3f ms  blocks scored %.0f%%  docs/q %.0f\n", cut, hf,
                  hits / (10.0 * qv.rows), ms / qv.rows, 100.0 * st.blocks_scored / (st.blocks_scored + st.blocks_skipped),
                  double(st.docs_scored) / qv.rows);
    }
}
}
