// Seismic segment files: the forward rows and the blocked index in one checksummed container
// (file_format.h). Every build parameter is in the header's parameter block.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common.h"
#include "file_format.h"
#include "seismic_types.h"

namespace sparrow {

inline constexpr Magic kSeismicMagic = {'S', 'P', 'R', 'W', 'S', 'E', 'I', 'S'};
// 3: segment-local term ids (a term dictionary section; 16-bit ids when the segment has at most
// 65,536 distinct terms), binary16 forward weights under a power-of-two segment scale, a layout
// field (blocked or exhaustive) and a calibration section (the segment's calibrated query settings,
// UTF-8 JSON written by the engine). Files of older versions are refused as another version; the
// engine then rebuilds the segment from collection.db.
// 4: postings bit-packed at RowBits(rows) bits each (was 32). A lexical (BM25) segment's forward
// values are term frequencies (binary16: integers exact up to 2048) and a lengths section holds
// each row's document length (uint32, exact); the header records k1, b and the average length its
// summaries (and calibration) were built for. Scores use the collection's live average length at
// query time (RowScoring). Learned-sparse segments keep binary16 weights as in 3.
inline constexpr uint32_t kSeismicKindVersion = 4;

// Longest calibration blob a segment file carries.
inline constexpr size_t kMaxCalibrationBytes = 1u << 20;


// The parameter block of a segment file (POD, fixed layout).
struct SeismicFileParams {
  SeismicParams params;
  uint32_t num_rows;
  uint32_t term_width;  // 16 or 32: width of the forward and summary term ids
  uint64_t nnz;         // forward non-zeros
  uint32_t layout;      // a SeismicLayout
  int32_t value_exp;    // stored weight x 2^value_exp = the document's weight
  uint64_t num_terms;   // distinct terms (the dictionary's size)
  double bm25_avgdl;    // > 0: a BM25 segment (term-frequency rows, a lengths section), built for this avgdl
  float bm25_k1;
  float bm25_b;
};
static_assert(sizeof(SeismicFileParams) == 120);

// Forward rows of a segment: rows (term-sorted, segment-local term ids, binary16 weights) and
// row -> collection docno. Local id i stands for the collection term id terms[i] (ascending, so
// local order is term order); ids are 16 bits when the dictionary has at most 65,536 terms
// (`narrow`), else 32 bits (`wide`); the other view has no indices. A stored weight times
// 2^value_exp is the document's weight: the segment scores in stored units and scales the results.
// A BM25 segment's own statistics: k1, b and the average length its summaries were built for.
struct Bm25Stats {
  double avgdl = 0.0;  // 0: not a BM25 segment
  float k1 = 0.0f;
  float b = 0.0f;
};

// BM25 segments (`lengths` set): rows hold term frequencies and lengths[r] is row r's document
// length (kNoLength: a plain-weight row, stored x 2^-value_exp); scores are in collection units.
struct ForwardView {
  HalfRows32 wide;
  HalfRows16 narrow;
  const DocNo* docnos = nullptr;
  std::span<const TermId> terms;
  int32_t value_exp = 0;
  const uint32_t* lengths = nullptr;
  Bm25Stats bm25;

  bool IsBm25() const { return lengths != nullptr; }
  // How rows score for a query with the collection's live average length (<= 0: the segment's own).
  RowScoring Scoring(double live_avgdl) const;

  bool IsNarrow() const { return narrow.indices != nullptr; }
  size_t NumRows() const { return IsNarrow() ? narrow.rows : wide.rows; }
  const uint32_t* Indptr() const { return IsNarrow() ? narrow.indptr : wide.indptr; }
  size_t Nnz() const { return Indptr()[NumRows()]; }
  // f(rows) with whichever view holds the rows.
  template <typename F>
  decltype(auto) Visit(F&& f) const {
    return IsNarrow() ? f(narrow) : f(wide);
  }
};

// Writes atomically (temp name, fsync, rename); throws std::system_error on I/O failure.
// `calibration`: opaque UTF-8 bytes (JSON by convention) stored with the segment, at most
// kMaxCalibrationBytes; empty when the segment has none.
void SaveSeismic(const std::string& path, const ForwardView& forward, const SeismicView& index,
                 std::string_view calibration);

// A mapped segment file; the views point into the mapping, which lives as long as this object.
struct LoadedSeismic {
  std::shared_ptr<const MappedFile> file;
  ForwardView forward;
  SeismicView index;
  std::string_view calibration;  // into the mapping; empty when none
};

// Maps and checks a file (container checks + every offset and id of the content); throws
// CorruptFileError on damage, another magic or version, or inconsistent content.
LoadedSeismic LoadSeismic(const std::string& path);

}  // namespace sparrow
