// Docno bitmap with copy-on-write snapshots (see bitmap.h).
#include "bitmap.h"

#include <algorithm>
#include <bit>

namespace sparrow {

Bitmap::Bitmap(size_t capacity_bits) : words_(std::make_shared<BitmapWords>((capacity_bits + 63) / 64, 0)) {}

Bitmap::Bitmap(std::shared_ptr<const BitmapWords> words)
    // const_pointer_cast is safe: Mutable() copies whenever the words are shared.
    : words_(std::const_pointer_cast<BitmapWords>(std::move(words))), shared_(true) {}

BitmapWords& Bitmap::Mutable() {
  // Not `use_count() > 1`: a reader that dropped its snapshot on another thread is seen through a
  // relaxed load, which does not order its last reads before this write (a data race).
  if (shared_) {
    words_ = std::make_shared<BitmapWords>(*words_);
    shared_ = false;
  }
  return *words_;
}

void Bitmap::Set(DocNo d) {
  size_t w = d >> 6;
  BitmapWords& words = Mutable();
  if (w >= words.size()) words.resize(std::max(w + 1, words.size() * 2), 0);
  words[w] |= uint64_t{1} << (d & 63);
}

void Bitmap::Clear(DocNo d) {
  size_t w = d >> 6;
  if (w >= words_->size() || !Has(d)) return;
  Mutable()[w] &= ~(uint64_t{1} << (d & 63));
}

size_t Bitmap::Count() const {
  size_t n = 0;
  for (uint64_t w : *words_) n += static_cast<size_t>(std::popcount(w));
  return n;
}

void Bitmap::Or(const Bitmap& other) {
  auto keep = other.words_;  // `other` may be this very bitmap
  BitmapWords& words = Mutable();
  if (keep->size() > words.size()) words.resize(keep->size(), 0);
  for (size_t i = 0; i < keep->size(); ++i) words[i] |= (*keep)[i];
}

void Bitmap::And(const Bitmap& other) {
  auto keep = other.words_;
  BitmapWords& words = Mutable();
  for (size_t i = 0; i < words.size(); ++i) words[i] &= i < keep->size() ? (*keep)[i] : 0;
}

void Bitmap::AndNot(const Bitmap& other) {
  auto keep = other.words_;
  BitmapWords& words = Mutable();
  size_t n = std::min(words.size(), keep->size());
  for (size_t i = 0; i < n; ++i) words[i] &= ~(*keep)[i];
}

std::vector<DocNo> Bitmap::ToArray() const {
  std::vector<DocNo> out;
  out.reserve(Count());
  const BitmapWords& words = *words_;
  for (size_t i = 0; i < words.size(); ++i) {
    for (uint64_t w = words[i]; w != 0; w &= w - 1) {
      out.push_back(static_cast<DocNo>(i * 64 + static_cast<size_t>(std::countr_zero(w))));
    }
  }
  return out;
}

}  // namespace sparrow
