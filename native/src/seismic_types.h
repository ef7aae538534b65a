// Seismic segment data (Bruch, Nardini, Rulli, Venturini, SIGIR 2024), pure C++.
//
// A segment = a forward index (rows: term-sorted documents, row -> docno; owned by forward_index.h)
// plus this blocked inverted index:
//   lists     : one per term that kept postings, ascending term id -> a range of blocks
//   blocks    : a range of postings (forward row numbers, ascending inside a block) and a summary
//   postings  : forward rows bit-packed at RowBits(num_rows) bits each (little-endian bit order,
//               posting i at bit i x bits), PackedBytes(P, bits) bytes: random access, no tables
//   summaries : per block, the coordinate-wise max of its documents cut to summary_energy of its
//               L1 mass, term-sorted, values quantised to 8 bits: value = min + code * scale
//   knn       : optional, n_knn neighbour rows per row (kNoRow pads)
// Every array is a flat span so that a built index (vectors) and a loaded one (mmap) look alike.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace sparrow {

// Build parameters; stored verbatim in the segment file header (POD, fixed layout). No defaults
// here: src/config.ts (DEFAULT_SEISMIC) is their one home and every caller passes every field.
struct SeismicParams {
  double n_postings;         // static pruning budget: an average of n_postings per non-empty list
  double max_fraction;       // one list keeps at most max_fraction x n_postings postings, >= 1
  double centroid_fraction;  // blocks per list = max(1, centroid_fraction x list length)
  double summary_energy;     // share of a block summary's L1 mass kept, (0, 1]
  double summary_cap;        // a block summary keeps at most max(1, summary_cap x the block's postings) entries
  uint32_t doc_cut;          // terms of a document used to assign it to a centroid
  uint32_t n_knn;            // neighbours per document in the kNN graph (0 = none)
  uint64_t seed;
  uint32_t pruning_disabled;  // 1: every posting, full summaries rounded up => exact results
  uint32_t threads;           // build threads (not a property of the index; kept for the record)
  uint64_t exhaustive_below;  // a segment with fewer non-zeros has no blocks: searched exhaustively
};
static_assert(sizeof(SeismicParams) == 72);

inline constexpr uint32_t kNoRow = 0xffffffffu;

// How a segment answers an approximate search (recorded in the file header).
enum class SeismicLayout : uint32_t {
  kBlocked = 0,     // blocked inverted index with summaries (Seismic)
  kExhaustive = 1,  // forward rows only (searched term at a time over lists built in memory: term_lists.h)
};

static_assert(std::endian::native == std::endian::little, "packed postings are read little-endian");

// Bits per packed posting: enough for every row of the segment (at least 1).
inline uint32_t RowBits(size_t num_rows) {
  return num_rows <= 1 ? 1u : static_cast<uint32_t>(std::bit_width(num_rows - 1));
}
// Bytes of n packed postings: the bits rounded up, plus 8 so that every read is one 8-byte load.
inline size_t PackedBytes(size_t n, uint32_t bits) { return (n * bits + 7) / 8 + 8; }
// Posting i of a packed array (bits <= 32: the field and its bit offset fit one 8-byte load).
inline uint32_t UnpackRow(const uint8_t* packed, size_t i, uint32_t bits) {
  size_t bit = i * bits;
  uint64_t w;
  std::memcpy(&w, packed + bit / 8, sizeof w);
  return static_cast<uint32_t>((w >> (bit % 8)) & ((uint64_t{1} << bits) - 1));
}
// Packs rows (each below 2^bits) at `bits` bits each.
std::vector<uint8_t> PackRows(std::span<const uint32_t> rows, uint32_t bits);

// Throws std::invalid_argument naming the first bad field.
void ValidateSeismicParams(const SeismicParams& p);

struct SeismicView {
  SeismicParams params;
  SeismicLayout layout = SeismicLayout::kBlocked;
  uint32_t num_rows = 0;
  std::span<const uint32_t> list_terms;      // L, strictly ascending
  std::span<const uint32_t> list_blocks;     // L + 1 offsets into blocks
  std::span<const uint32_t> block_postings;  // B + 1 offsets into postings
  std::span<const uint8_t> postings;         // P forward rows, packed at RowBits(num_rows) bits
  std::span<const uint32_t> block_summary;   // B + 1 offsets into summary entries
  std::span<const float> summary_min;        // B
  std::span<const float> summary_scale;      // B
  // Summary term ids: 16 bits when every term id of the segment is < 65536, else 32 bits.
  std::span<const uint16_t> summary_terms16;
  std::span<const uint32_t> summary_terms32;
  std::span<const uint8_t> summary_codes;    // S
  std::span<const uint32_t> knn;             // num_rows * n_knn, or empty

  size_t NumBlocks() const { return block_postings.empty() ? 0 : block_postings.size() - 1; }
  size_t NumPostings() const { return block_postings.empty() ? 0 : block_postings.back(); }
  uint32_t Posting(size_t i) const { return UnpackRow(postings.data(), i, RowBits(num_rows)); }
  size_t Bytes() const {
    return list_terms.size_bytes() + list_blocks.size_bytes() + block_postings.size_bytes() + postings.size_bytes() +
           block_summary.size_bytes() + summary_min.size_bytes() + summary_scale.size_bytes() +
           summary_terms16.size_bytes() + summary_terms32.size_bytes() + summary_codes.size_bytes() + knn.size_bytes();
  }
};

// Owned arrays of a freshly built segment.
struct SeismicData {
  SeismicParams params;
  SeismicLayout layout = SeismicLayout::kBlocked;
  uint32_t num_rows = 0;
  std::vector<uint32_t> list_terms, list_blocks, block_postings, block_summary;
  std::vector<uint8_t> postings;  // packed (see SeismicView)
  std::vector<float> summary_min, summary_scale;
  std::vector<uint16_t> summary_terms16;
  std::vector<uint32_t> summary_terms32;
  std::vector<uint8_t> summary_codes;
  std::vector<uint32_t> knn;

  SeismicView View() const {
    return SeismicView{params,        layout,        num_rows,      list_terms,      list_blocks,     block_postings, postings,
                       block_summary, summary_min,   summary_scale,   summary_terms16, summary_terms32, summary_codes,
                       knn};
  }
};

// Checks every offset and id of a view against the sizes it indexes (for files read from disk);
// returns a description of the first inconsistency, or nullptr when the view is sound.
// Term ids (lists and summaries) are segment-local: below num_terms.
const char* CheckSeismicView(const SeismicView& v, size_t forward_rows, size_t num_terms);

}  // namespace sparrow
