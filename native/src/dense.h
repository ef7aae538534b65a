// Exact dense vector search (pure C++, no N-API): the reference for the approximate index and the
// default below the size where it pays off.
//
// Layout: rows are stored row-major in fixed-size chunks (kChunkRows × dims floats, 64-byte
// aligned), so appends never move existing rows and a scan streams each chunk sequentially.
// Cosine vectors are normalised when stored (and queries when searched): every score is a dot.
//
// Concurrency invariant: DenseStore is mutated only by its owner thread (the JS thread). A search
// reads a DenseSnapshot taken on that thread: the chunks it shares are never freed under it, and it
// only reads rows below its row count, which are never written again (append-only; no row is
// rewritten in place — a docno can be added once).
//
// How to use:
//   DenseStore store(384, DenseMetric::kCosine);
//   store.Append(vectors, docnos, n);              // throws std::invalid_argument on a bad row
//   auto snap = store.Snapshot();                  // cheap; hand it to search threads
//   std::vector<float> q = PrepareQuery(query, dims, metric);
//   std::vector<TopK> tops(1, TopK(k, floor));
//   ScanRange(*snap, q.data(), 1, 0, snap->rows, filter, tops);  // one task's share of the rows
//   (the glue splits the rows over the search pool and merges the tasks' lists with MergeTopK)
//   store.Score(query, docnos, n, out);            // exact scores of given docnos (NaN: absent)
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "common.h"

namespace sparrow {

enum class DenseMetric : uint32_t { kDot = 0, kCosine = 1 };

// The rule every stored vector obeys (Append calls it; the addon exports it so a write is checked
// before it is committed): n rows of dims floats, each value finite, and under cosine a finite,
// non-zero float32 norm. Throws std::invalid_argument naming the first bad row. Fills inv_norm
// (1 / norm under cosine, else 1) when given.
void CheckDenseRows(const float* vectors, size_t n, size_t dims, DenseMetric metric, std::vector<float>* inv_norm = nullptr);

inline constexpr size_t kDenseChunkRows = 4096;
inline constexpr size_t kDenseMaxDims = 65536;

// kDenseChunkRows rows of `dims` floats plus their docnos; allocated once at full size.
struct DenseChunk {
  explicit DenseChunk(size_t dims);
  ~DenseChunk();
  DenseChunk(const DenseChunk&) = delete;
  DenseChunk& operator=(const DenseChunk&) = delete;
  float* data;  // kDenseChunkRows × dims, 64-byte aligned
  DocNo docnos[kDenseChunkRows];
};

// An immutable view of the first `rows` rows of a store.
struct DenseSnapshot {
  size_t dims = 0;
  DenseMetric metric = DenseMetric::kDot;
  size_t rows = 0;
  std::vector<std::shared_ptr<const DenseChunk>> chunks;
  const float* Row(size_t r) const { return chunks[r / kDenseChunkRows]->data + (r % kDenseChunkRows) * dims; }
  DocNo Docno(size_t r) const { return chunks[r / kDenseChunkRows]->docnos[r % kDenseChunkRows]; }
};

class DenseStore {
 public:
  DenseStore(size_t dims, DenseMetric metric);

  size_t Dims() const { return dims_; }
  DenseMetric Metric() const { return metric_; }
  size_t Rows() const { return rows_; }
  size_t Bytes() const { return chunks_.size() * (kDenseChunkRows * (dims_ * sizeof(float) + sizeof(DocNo))); }
  bool Has(DocNo d) const { return d < row_of_.size() && row_of_[d] != kNoRow; }

  // Appends n rows (row-major n × dims). All-or-nothing: throws std::invalid_argument (naming the
  // row) on a non-finite value, a zero vector under cosine, or a docno already stored.
  void Append(const float* vectors, const DocNo* docnos, size_t n);

  std::shared_ptr<const DenseSnapshot> Snapshot() const;

  // Exact scores of `query` (dims floats, not yet normalised) against the given docnos; NaN for a
  // docno that has no vector.
  void Score(const float* query, const DocNo* docnos, size_t n, float* out) const;

  // Docnos of every stored row, in row (insertion) order.
  std::vector<DocNo> Docnos() const;

  // A copy of the stored (for cosine: normalised) vector of docno into out; false when absent.
  bool Get(DocNo d, float* out) const;

 private:
  static constexpr uint32_t kNoRow = 0xFFFFFFFFu;
  size_t dims_;
  DenseMetric metric_;
  size_t rows_ = 0;
  std::vector<std::shared_ptr<DenseChunk>> chunks_;
  std::vector<uint32_t> row_of_;  // docno -> row
};

// Dot product of two dims-float vectors (several independent accumulators so it vectorises).
float Dot(const float* a, const float* b, size_t dims);

// The query as scored: copied, and normalised under cosine (a zero query stays zero).
std::vector<float> PrepareQuery(const float* query, size_t dims, DenseMetric metric);

// Top-k of `queries` (nq prepared queries, row-major) over rows [begin, end) of the snapshot,
// appended per query to out[q] (a TopK per query, shared across calls for the same task).
// Rows are visited in blocks so that each block is read from memory once for all queries.
void ScanRange(const DenseSnapshot& snap, const float* queries, size_t nq, size_t begin, size_t end, const DocFilter& filter,
               std::vector<TopK>& out);

// Merges per-task top-k lists of one query into the final ranking (best first, at most k).
std::vector<Hit> MergeTopK(std::vector<std::vector<Hit>>& parts, size_t k);

}  // namespace sparrow
