// Bit-packed posting rows (seismic_types.h): every width from 1 to 32 bits round-trips, the packed
// size is what the file check expects, and the last field's 8-byte read stays inside the array
// (ASan would report a read past it).
#include <random>
#include <vector>

#include "check.h"
#include "seismic_types.h"

using namespace sparrow;

int main() {
  std::mt19937_64 rng(5);
  CHECK(RowBits(0) == 1 && RowBits(1) == 1 && RowBits(2) == 1 && RowBits(3) == 2, "small row counts");
  CHECK(RowBits(5183) == 13 && RowBits(65536) == 16 && RowBits(65537) == 17, "row counts around 2^16");
  CHECK(RowBits(size_t{1} << 32) == 32, "2^32 rows need 32 bits");
  for (uint32_t bits = 1; bits <= 32; bits++) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{64}, size_t{1001}}) {
      std::vector<uint32_t> rows(n);
      uint64_t top = (uint64_t{1} << bits) - 1;
      for (size_t i = 0; i < n; i++) rows[i] = static_cast<uint32_t>(i % 3 == 0 ? top : rng() & top);
      std::vector<uint8_t> packed = PackRows(rows, bits);
      CHECK(packed.size() == PackedBytes(n, bits), "bits %u n %zu: size %zu", bits, n, packed.size());
      // Read through an exact-size heap copy so that a read past the end is an ASan report.
      std::vector<uint8_t> exact(packed.begin(), packed.end());
      size_t bad = 0;
      for (size_t i = 0; i < n; i++) bad += UnpackRow(exact.data(), i, bits) != rows[i];
      CHECK(bad == 0, "bits %u n %zu: %zu rows differ", bits, n, bad);
    }
  }
  return sparrow_test::Finish("packed_rows_test");
}
