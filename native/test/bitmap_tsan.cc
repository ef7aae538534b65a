// ThreadSanitizer: a Bitmap mutated by its owner thread while search threads read snapshots of it,
// as the addon does (the JS thread deletes documents while searches hold tombstone snapshots and
// drop them on a pool thread). Every snapshot must keep the content it had when taken.
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "bitmap.h"
#include "channel.h"
#include "check.h"

using namespace sparrow;

struct Taken {
  std::shared_ptr<const BitmapWords> snap;
  std::vector<DocNo> expected;  // the owner's view when the snapshot was taken
};

int main() {
  sparrow_test::Channel<Taken> channel;
  std::mutex fail_mu;
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; r++)
    readers.emplace_back([&] {
      Taken t;
      while (channel.Pop(t)) {
        BitmapView view = ViewOf(*t.snap);
        std::vector<DocNo> seen;
        for (DocNo d = 0; d < view.num_words * 64; d++)
          if (view.Test(d)) seen.push_back(d);
        if (seen != t.expected) {
          std::lock_guard<std::mutex> lock(fail_mu);
          CHECK(false, "a snapshot changed after it was taken (%zu bits, expected %zu)", seen.size(), t.expected.size());
        }
        t = Taken{};  // the reader drops the snapshot here, on its own thread
      }
    });
  // The owner: set and clear bits (growing the bitmap now and then), snapshot every few writes.
  Bitmap owner(256);
  Bitmap other(128);
  std::mt19937 rng(5);
  for (int i = 0; i < 20000; i++) {
    DocNo d = static_cast<DocNo>(rng() % (i < 10000 ? 2000 : 9000));
    switch (rng() % 5) {
      case 0: owner.Clear(d); break;
      case 1: other.Set(d); break;
      case 2: if (i % 97 == 0) owner.AndNot(other); else owner.Set(d); break;
      case 3: if (i % 89 == 0) owner.Or(other); else owner.Set(d); break;
      default: owner.Set(d);
    }
    if (i % 7 == 0) channel.Push(Taken{owner.Snapshot(), owner.ToArray()});
  }
  // A bitmap built from a snapshot shares its words until its first write.
  Bitmap copy(owner.Snapshot());
  std::vector<DocNo> before = owner.ToArray();
  copy.Set(123456);
  CHECK(owner.ToArray() == before);
  CHECK(copy.Has(123456) && !owner.Has(123456));
  channel.Close();
  for (auto& t : readers) t.join();
  return sparrow_test::Finish("bitmap_tsan");
}
