// Row bitmap of immutable chunks (see row_bitmap.h).
#include "row_bitmap.h"

#include <bit>
#include <cstring>
#include <stdexcept>
#include <string>

namespace sparrow {

RowBitmap::RowBitmap(size_t rows)
    : rows_(rows), chunks_((rows + (size_t{1} << RowBitsView::kChunkShift) - 1) >> RowBitsView::kChunkShift), born_(chunks_.size(), 0) {}

uint64_t* RowBitmap::MutableWord(size_t r) {
  size_t c = r >> RowBitsView::kChunkShift;
  std::shared_ptr<Chunk>& chunk = chunks_[c];
  if (!chunk) {
    chunk = std::make_shared<Chunk>();
    std::memset(chunk->words, 0, sizeof(chunk->words));
    born_[c] = gen_;
  } else if (born_[c] != gen_) {
    // A snapshot taken since this chunk was made may be reading it: write a copy instead.
    chunk = std::make_shared<Chunk>(*chunk);
    born_[c] = gen_;
    copied_++;
  }
  cached_.reset();
  return &chunk->words[(r >> 6) & (kChunkWords - 1)];
}

bool RowBitmap::Has(size_t r) const {
  if (r >= rows_) return false;
  const Chunk* chunk = chunks_[r >> RowBitsView::kChunkShift].get();
  return chunk != nullptr && ((chunk->words[(r >> 6) & (kChunkWords - 1)] >> (r & 63)) & 1u);
}

bool RowBitmap::Set(size_t r) {
  if (r >= rows_) throw std::invalid_argument("row " + std::to_string(r) + " is past the bitmap's " + std::to_string(rows_) + " rows");
  if (Has(r)) return false;
  *MutableWord(r) |= uint64_t{1} << (r & 63);
  count_++;
  return true;
}

bool RowBitmap::Clear(size_t r) {
  if (r >= rows_) throw std::invalid_argument("row " + std::to_string(r) + " is past the bitmap's " + std::to_string(rows_) + " rows");
  if (!Has(r)) return false;
  *MutableWord(r) &= ~(uint64_t{1} << (r & 63));
  count_--;
  return true;
}

void RowBitmap::Grow(size_t rows) {
  if (rows <= rows_) return;
  size_t chunks = (rows + (size_t{1} << RowBitsView::kChunkShift) - 1) >> RowBitsView::kChunkShift;
  chunks_.resize(chunks);  // the new chunks are null (all zero); snapshots hold their own pointer arrays
  born_.resize(chunks, 0);
  rows_ = rows;
  cached_.reset();
}

RowBitmap::Snapshot RowBitmap::Snap() {
  if (cached_) return cached_;
  auto frozen = std::make_shared<Frozen>();
  frozen->chunks_.assign(chunks_.begin(), chunks_.end());
  frozen->words_.resize(chunks_.size(), nullptr);
  for (size_t c = 0; c < chunks_.size(); c++)
    if (chunks_[c]) frozen->words_[c] = chunks_[c]->words;
  frozen->count_ = count_;
  frozen->rows_ = rows_;
  gen_++;  // every chunk now belongs to a snapshot: the next write to it copies it
  cached_ = std::move(frozen);
  return cached_;
}

}  // namespace sparrow
