// A bitmap indexed by a segment's row (its deleted rows, or a filter's allowed rows), or by docno
// (the dense field's cached filters, which grow with the collection), held as reference-counted
// immutable chunks of 2^16 bits so that snapshots are cheap and writes are local.
//
// How to use (pure C++, no N-API):
//   RowBitmap b(rows); b.Set(7);
//   RowBitmap::Snapshot s = b.Snap();     // copies the chunk pointer array (or reuses the last one)
//   RowBitsView v = s->View();            // what search loops read (common.h): v.Test(7)
//   b.Set(8);                             // copies the one chunk that holds row 8 (s still reads 0)
// Concurrency invariant: a RowBitmap is written only by its owner thread (the JS thread), which
// also takes snapshots. A chunk that any snapshot has seen is never written again: the next write
// to it copies it first (copy-on-write decided by a generation number, not by reference counts, so
// no reader can be racing a write). Readers on other threads hold the Snapshot (shared_ptr) for as
// long as they read it. An all-zero chunk is a null pointer (a segment without deletions costs
// one pointer per 65,536 rows).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "common.h"

namespace sparrow {

class RowBitmap {
 public:
  static constexpr size_t kChunkWords = size_t{1} << (RowBitsView::kChunkShift - 6);
  struct Chunk {
    uint64_t words[kChunkWords];
  };
  // An immutable copy of the chunk pointers at one moment.
  class Frozen {
   public:
    RowBitsView View() const { return RowBitsView{words_.data(), words_.size()}; }
    size_t Count() const { return count_; }
    size_t Rows() const { return rows_; }

   private:
    friend class RowBitmap;
    std::vector<std::shared_ptr<const Chunk>> chunks_;
    std::vector<const uint64_t*> words_;  // chunks_[i]->words or nullptr
    size_t count_ = 0;
    size_t rows_ = 0;
  };
  using Snapshot = std::shared_ptr<const Frozen>;

  explicit RowBitmap(size_t rows);

  size_t Rows() const { return rows_; }
  size_t Count() const { return count_; }
  // Rows at or past Rows() are an error (std::invalid_argument).
  bool Set(size_t r);    // true if the bit was 0
  bool Clear(size_t r);  // true if the bit was 1
  bool Has(size_t r) const;
  // Extends the bitmap to `rows` (never shrinks): the new rows read 0; snapshots keep their rows.
  void Grow(size_t rows);
  // The current bits, immutable; the same object until the next write changes a bit.
  Snapshot Snap();
  // Chunks copied because a snapshot shared them (a measure of copy-on-write work).
  size_t CopiedChunks() const { return copied_; }

 private:
  uint64_t* MutableWord(size_t r);
  size_t rows_;
  size_t count_ = 0;
  size_t copied_ = 0;
  uint64_t gen_ = 1;                           // advances at every new snapshot
  std::vector<std::shared_ptr<Chunk>> chunks_;  // nullptr: all zero
  std::vector<uint64_t> born_;                  // generation each chunk was made in
  Snapshot cached_;
};

}  // namespace sparrow
