// A growable docno bitmap owned by native memory, with copy-on-write snapshots.
//
// How to use:
//   Bitmap b(1000); b.Set(7); b.Has(7);
//   auto snap = b.Snapshot();            // shared_ptr<const BitmapWords>: immutable, cheap
//   BitmapView view = ViewOf(*snap);     // what search loops read (see common.h)
// Concurrency invariant: a Bitmap is mutated only by its owner thread (the JS thread). Words that a
// snapshot shares are never written: the first write after Snapshot() copies them (copy-on-write),
// so native search threads reading a snapshot can never see a torn or racing write. The copy is
// made whether or not the readers have dropped the snapshot since: use_count() cannot tell, as it
// does not order their reads before our write (native/test/bitmap_tsan.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "common.h"

namespace sparrow {

using BitmapWords = std::vector<uint64_t>;

inline BitmapView ViewOf(const BitmapWords& words) { return BitmapView{words.data(), words.size()}; }

class Bitmap {
 public:
  explicit Bitmap(size_t capacity_bits = 0);
  // Shares `words` (copy-on-write) with whoever else holds them.
  explicit Bitmap(std::shared_ptr<const BitmapWords> words);

  size_t Capacity() const { return words_->size() * 64; }  // bits
  void Set(DocNo d);  // grows (capacity at least doubles) when d is past the end
  void Clear(DocNo d);
  bool Has(DocNo d) const { return ViewOf(*words_).Test(d); }
  size_t Count() const;
  void Or(const Bitmap& other);
  void And(const Bitmap& other);
  void AndNot(const Bitmap& other);
  std::vector<DocNo> ToArray() const;  // ascending
  std::shared_ptr<const BitmapWords> Snapshot() const {
    shared_ = true;
    return words_;
  }

 private:
  BitmapWords& Mutable();  // unshares the words before a write
  std::shared_ptr<BitmapWords> words_;
  mutable bool shared_ = false;  // words_ was handed out: copy before the next write
};

}  // namespace sparrow
