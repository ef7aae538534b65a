// Micro-benchmark of the exact scan kernel: g++ -std=c++20 -O3 -march=x86-64-v2 -ffp-contract=off
//   -I native/src native/test/exact_scan_bench.cc native/src/exact_search.cc native/src/forward_index.cc
//   native/src/file_format.cc -o /tmp/exact_scan_bench && /tmp/exact_scan_bench
// Synthetic uniform rows (not SPLADE-like): measures the kernel only.
#include <chrono>
#include <cstdio>
#include <random>

#include "exact_search.h"

using namespace sparrow;

int main() {
  const size_t docs = 200000, len = 120, vocab = 30000;
  std::mt19937 gen(1);
  std::vector<uint32_t> indptr{0}, indices;
  std::vector<float> values;
  std::vector<DocNo> docnos;
  for (size_t d = 0; d < docs; ++d) {
    std::vector<uint32_t> row;
    for (size_t j = 0; j < len; ++j) row.push_back(gen() % vocab);
    std::sort(row.begin(), row.end());
    row.erase(std::unique(row.begin(), row.end()), row.end());
    for (uint32_t t : row) indices.push_back(t), values.push_back((gen() % 1000) / 100.0f);
    indptr.push_back(static_cast<uint32_t>(indices.size()));
    docnos.push_back(static_cast<DocNo>(d));
  }
  auto f = ForwardIndex::Build(CsrView{indptr.data(), indices.data(), values.data(), docs}, docnos.data());
  LocalQuery q;
  for (uint32_t t = 0; t < vocab; t += 600) q.emplace_back(t, 1.0f + t % 7);
  DocFilter none;
  double best = 1e9;
  float top = 0;
  for (int rep = 0; rep < 10; ++rep) {
    auto t0 = std::chrono::steady_clock::now();
    auto hits = ExactSearch(*f, q, 10, -1e30f, none, nullptr);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, ms);
    top = hits.empty() ? 0 : hits[0].score;
  }
  std::printf("docs %zu nnz %zu: best %.2f ms (%.0f M nnz/s), top score %.3f\n", docs, f->Nnz(), best, f->Nnz() / best / 1e3, top);
}
