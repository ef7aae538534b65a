// Shared plain-C++ types of the native core (no N-API here; addon glue lives in *_glue.cc / addon.cc).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace sparrow {

using DocNo = uint32_t;
using TermId = uint32_t;

struct Hit {
  float score;
  DocNo docno;
};

// Ranking order everywhere: score descending, then docno ascending.
inline bool Better(const Hit& a, const Hit& b) {
  return a.score > b.score || (a.score == b.score && a.docno < b.docno);
}

// Keeps the k best hits. `floor` is an initial threshold (the k-th best score already found in other
// segments): a hit scoring strictly below it can never reach the merged top-k and is not admitted.
class TopK {
 public:
  explicit TopK(size_t k, float floor = -std::numeric_limits<float>::infinity()) : k_(k), floor_(floor) {
    heap_.reserve(k + 1);
  }
  bool Full() const { return heap_.size() >= k_; }
  // Score a candidate must reach to be admitted (ties may still win on docno).
  float Threshold() const { return Full() ? heap_.front().score : floor_; }
  void Push(float score, DocNo docno) {
    if (score < floor_) return;
    Hit h{score, docno};
    if (!Full()) {
      heap_.push_back(h);
      std::push_heap(heap_.begin(), heap_.end(), Better);  // worst on top
    } else if (Better(h, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), Better);
      heap_.back() = h;
      std::push_heap(heap_.begin(), heap_.end(), Better);
    }
  }
  // Best first; empties the heap.
  std::vector<Hit> Take() {
    std::sort(heap_.begin(), heap_.end(), Better);
    return std::move(heap_);
  }
  size_t Size() const { return heap_.size(); }

 private:
  size_t k_;
  float floor_;
  std::vector<Hit> heap_;
};

// A read-only view of a bitmap in words of W (bit i of the map = bit i % bits(W) of word i / bits(W));
// bits past the end read as 0.
template <typename W>
struct WordsView {
  static constexpr unsigned kBits = sizeof(W) * 8;
  const W* words = nullptr;
  size_t num_words = 0;
  bool Test(uint32_t i) const {
    size_t w = i / kBits;
    return w < num_words && ((words[w] >> (i % kBits)) & 1u);
  }
};
// A docno bitmap snapshot (64-bit words).
using BitmapView = WordsView<uint64_t>;
// A row-indexed bitmap in 32-bit words: a filter's allowed rows of one segment (a JS Uint32Array
// read in place).
using RowWordsView = WordsView<uint32_t>;

// A read-only view of a row bitmap snapshot (row_bitmap.h): chunks of 2^16 bits, a null chunk
// reads as 0, rows past the end read as 0.
struct RowBitsView {
  static constexpr unsigned kChunkShift = 16;
  const uint64_t* const* chunks = nullptr;
  size_t num_chunks = 0;
  bool Test(uint32_t r) const {
    size_t c = r >> kChunkShift;
    if (c >= num_chunks || chunks[c] == nullptr) return false;
    return (chunks[c][(r >> 6) & ((size_t{1} << (kChunkShift - 6)) - 1)] >> (r & 63)) & 1u;
  }
};

// What a search may return: not tombstoned, not a deleted row, and in the allow set when there is one.
struct DocFilter {
  const BitmapView* tombstones = nullptr;  // by docno
  const BitmapView* allow = nullptr;       // by docno
  const RowBitsView* deleted_rows = nullptr;  // by the searched segment's row
  const RowWordsView* allow_rows = nullptr;   // by the searched segment's row: only these rows
  const RowBitsView* allow_docs = nullptr;    // by docno, chunked: only these (the dense field's cached filter)
  const RowBitsView* removed_docs = nullptr;  // by docno, chunked: never these (the dense field's deletes)
  bool Accept(DocNo d) const {
    if (tombstones && tombstones->Test(d)) return false;
    if (removed_docs && removed_docs->Test(d)) return false;
    if (allow && !allow->Test(d)) return false;
    if (allow_docs && !allow_docs->Test(d)) return false;
    return true;
  }
  // Row r of a segment whose row -> docno map is `docnos` (nullptr: the row is the docno); the
  // docno (a likely cache miss) is read only when a docno bitmap needs it.
  bool AcceptRow(uint32_t r, const DocNo* docnos) const {
    if (deleted_rows && deleted_rows->Test(r)) return false;
    if (allow_rows && !allow_rows->Test(r)) return false;
    if (!tombstones && !allow && !allow_docs && !removed_docs) return true;
    return Accept(docnos ? docnos[r] : r);
  }
};

// Per-query counters a search may fill in (returned to JS when the caller asks for stats).
struct QueryStats {
  uint64_t lists_visited = 0;   // posting lists opened
  uint64_t blocks_scored = 0;   // blocks whose documents were scored
  uint64_t blocks_skipped = 0;  // blocks skipped by their summary
  uint64_t docs_scored = 0;     // documents whose inner product was computed
  uint64_t postings_total = 0;  // postings in the visited lists
  double micros = 0.0;          // wall time of the query on its search thread
};

// An IEEE 754 binary16 value (a segment's stored forward weight); see half.h for conversions.
struct Half {
  uint16_t bits;
};

// A batch of sparse rows (queries or documents) in CSR form; term ids strictly increasing per row.
template <typename TermT, typename ValueT = float>
struct RowsOf {
  const uint32_t* indptr = nullptr;  // rows + 1 entries
  const TermT* indices = nullptr;
  const ValueT* values = nullptr;
  size_t rows = 0;
  size_t RowLen(size_t r) const { return indptr[r + 1] - indptr[r]; }
};
using CsrView = RowsOf<TermId>;
// A segment's forward rows: segment-local term ids (16 bits when the segment has at most 65,536
// distinct terms) and binary16 weights: 4 bytes per non-zero, or 6 with 32-bit local ids.
using HalfRows16 = RowsOf<uint16_t, Half>;
using HalfRows32 = RowsOf<uint32_t, Half>;

// A lexical (BM25) segment's rows hold term frequencies; what scores them (seismic_file.h):
// row r's document length lengths[r] (kNoLength: the row holds plain weights, e.g. a user vector
// in a lexical collection, stored x 2^-value_exp) and the query's norm: a term of frequency tf
// weighs tf / (tf + norm_a + norm_b x length), with norm_a = k1 (1 - b) and norm_b = k1 b / avgdl
// from the collection's live average length (Lucene's per-query norm, over exact lengths).
inline constexpr uint32_t kNoLength = 0xffffffffu;
struct RowScoring {
  const uint32_t* lengths = nullptr;  // null: every row holds plain weights
  float norm_a = 0.0f;
  float norm_b = 0.0f;
  float weight_scale = 1.0f;  // plain-weight rows of a BM25 segment: stored value x weight_scale
  bool Bm25() const { return lengths != nullptr; }
  float Norm(uint32_t length) const { return norm_a + norm_b * static_cast<float>(length); }
};

}  // namespace sparrow
