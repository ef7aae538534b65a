#include "dense.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

namespace sparrow {

namespace {
// Rows per scan block: 32 rows × 384 dims × 4 B = 48 KiB, which stays in L2 while every query of
// the batch is scored against it.
constexpr size_t kBlockRows = 32;

float Norm(const float* v, size_t dims) { return std::sqrt(Dot(v, v, dims)); }
}  // namespace

DenseChunk::DenseChunk(size_t dims) {
  size_t bytes = (kDenseChunkRows * dims * sizeof(float) + 63) / 64 * 64;
  data = static_cast<float*>(std::aligned_alloc(64, bytes));
  if (!data) throw std::bad_alloc();
}

DenseChunk::~DenseChunk() { std::free(data); }

float Dot(const float* a, const float* b, size_t dims) {
  // 8 independent lanes: the compiler maps them to SIMD registers without reassociating a single sum.
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t j = 0;
  for (; j + 8 <= dims; j += 8) {
    for (size_t l = 0; l < 8; l++) acc[l] += a[j + l] * b[j + l];
  }
  float tail = 0;
  for (; j < dims; j++) tail += a[j] * b[j];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail;
}

std::vector<float> PrepareQuery(const float* query, size_t dims, DenseMetric metric) {
  std::vector<float> q(query, query + dims);
  if (metric == DenseMetric::kCosine) {
    float n = Norm(q.data(), dims);
    if (n > 0) {
      for (float& x : q) x /= n;
    }
  }
  return q;
}

DenseStore::DenseStore(size_t dims, DenseMetric metric) : dims_(dims), metric_(metric) {
  if (dims == 0 || dims > kDenseMaxDims) throw std::invalid_argument("dims must be in [1, " + std::to_string(kDenseMaxDims) + "]");
  if (metric != DenseMetric::kDot && metric != DenseMetric::kCosine) throw std::invalid_argument("unknown dense metric");
}

void CheckDenseRows(const float* vectors, size_t n, size_t dims, DenseMetric metric, std::vector<float>* inv_norm) {
  if (inv_norm) inv_norm->assign(n, 1.0f);
  for (size_t i = 0; i < n; i++) {
    const float* v = vectors + i * dims;
    for (size_t j = 0; j < dims; j++) {
      if (!std::isfinite(v[j])) throw std::invalid_argument("vectors row " + std::to_string(i) + " has a non-finite value");
    }
    if (metric == DenseMetric::kCosine) {
      float norm = Norm(v, dims);
      if (!(norm > 0) || !std::isfinite(norm)) throw std::invalid_argument("vectors row " + std::to_string(i) + " has no direction (zero or overflowing norm) under cosine");
      if (inv_norm) (*inv_norm)[i] = 1.0f / norm;
    }
  }
}

void DenseStore::Append(const float* vectors, const DocNo* docnos, size_t n) {
  // Validate everything first: a bad row changes nothing.
  std::vector<float> inv_norm;
  CheckDenseRows(vectors, n, dims_, metric_, &inv_norm);
  for (size_t i = 0; i < n; i++) {
    if (Has(docnos[i])) throw std::invalid_argument("docnos[" + std::to_string(i) + "] = " + std::to_string(docnos[i]) + " already has a vector");
    for (size_t p = 0; p < i; p++) {
      if (docnos[p] == docnos[i]) throw std::invalid_argument("docnos[" + std::to_string(i) + "] repeats docnos[" + std::to_string(p) + "]");
    }
  }
  for (size_t i = 0; i < n; i++) {
    size_t r = rows_;
    if (r / kDenseChunkRows >= chunks_.size()) chunks_.push_back(std::make_shared<DenseChunk>(dims_));
    DenseChunk& c = *chunks_[r / kDenseChunkRows];
    float* dst = c.data + (r % kDenseChunkRows) * dims_;
    const float* src = vectors + i * dims_;
    for (size_t j = 0; j < dims_; j++) dst[j] = src[j] * inv_norm[i];
    c.docnos[r % kDenseChunkRows] = docnos[i];
    if (docnos[i] >= row_of_.size()) row_of_.resize(std::max<size_t>(docnos[i] + 1, row_of_.size() * 2), kNoRow);
    row_of_[docnos[i]] = static_cast<uint32_t>(r);
    rows_ = r + 1;
  }
}

std::shared_ptr<const DenseSnapshot> DenseStore::Snapshot() const {
  auto s = std::make_shared<DenseSnapshot>();
  s->dims = dims_;
  s->metric = metric_;
  s->rows = rows_;
  s->chunks.assign(chunks_.begin(), chunks_.end());
  return s;
}

void DenseStore::Score(const float* query, const DocNo* docnos, size_t n, float* out) const {
  std::vector<float> q = PrepareQuery(query, dims_, metric_);
  for (size_t i = 0; i < n; i++) {
    DocNo d = docnos[i];
    if (!Has(d)) {
      out[i] = std::nanf("");
      continue;
    }
    uint32_t r = row_of_[d];
    out[i] = Dot(q.data(), chunks_[r / kDenseChunkRows]->data + (r % kDenseChunkRows) * dims_, dims_);
  }
}

std::vector<DocNo> DenseStore::Docnos() const {
  std::vector<DocNo> out(rows_);
  for (size_t r = 0; r < rows_; r++) out[r] = chunks_[r / kDenseChunkRows]->docnos[r % kDenseChunkRows];
  return out;
}

bool DenseStore::Get(DocNo d, float* out) const {
  if (!Has(d)) return false;
  uint32_t r = row_of_[d];
  std::memcpy(out, chunks_[r / kDenseChunkRows]->data + (r % kDenseChunkRows) * dims_, dims_ * sizeof(float));
  return true;
}

void ScanRange(const DenseSnapshot& snap, const float* queries, size_t nq, size_t begin, size_t end, const DocFilter& filter,
               std::vector<TopK>& out) {
  const size_t dims = snap.dims;
  size_t accepted[kBlockRows];
  for (size_t b = begin; b < end; b += kBlockRows) {
    size_t e = std::min(end, b + kBlockRows);
    size_t m = 0;
    for (size_t r = b; r < e; r++) {
      if (filter.Accept(snap.Docno(r))) accepted[m++] = r;
    }
    if (m == 0) continue;
    for (size_t q = 0; q < nq; q++) {
      const float* qv = queries + q * dims;
      TopK& top = out[q];
      for (size_t i = 0; i < m; i++) {
        size_t r = accepted[i];
        top.Push(Dot(qv, snap.Row(r), dims), snap.Docno(r));
      }
    }
  }
}

std::vector<Hit> MergeTopK(std::vector<std::vector<Hit>>& parts, size_t k) {
  std::vector<Hit> all;
  for (auto& p : parts) all.insert(all.end(), p.begin(), p.end());
  size_t keep = std::min(k, all.size());
  std::partial_sort(all.begin(), all.begin() + keep, all.end(), Better);
  all.resize(keep);
  return all;
}

}  // namespace sparrow
