// Seismic segment files: the forward rows and the blocked index in one checksummed container
// (file_format.h). Every build parameter is in the header's parameter block.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common.h"
#include "file_format.h"
#include "seismic_types.h"

namespace sparrow {

inline constexpr Magic kSeismicMagic = {'S', 'P', 'R', 'W', 'S', 'E', 'I', 'S'};
// 3: a calibration section (the segment's calibrated query settings, UTF-8 JSON written by the
// engine) and a layout field. Files of versions 1 and 2 are refused as another version; the engine
// then rebuilds the segment from collection.db.
inline constexpr uint32_t kSeismicKindVersion = 3;

// Longest calibration blob a segment file carries.
inline constexpr size_t kMaxCalibrationBytes = 1u << 20;


// The parameter block of a segment file (POD, fixed layout).
struct SeismicFileParams {
  SeismicParams params;
  uint32_t num_rows;
  uint32_t term_width;  // 16 or 32: width of the forward and summary term ids
  uint64_t nnz;         // forward non-zeros
  uint32_t layout;      // a SeismicLayout
  uint32_t reserved32;
  uint64_t reserved[3];
};
static_assert(sizeof(SeismicFileParams) == 112);

// Forward rows of a segment: rows (term-sorted) and row -> collection docno. The rows are held
// with 16-bit term ids when every id is < 65536 (`narrow`), else with 32-bit ids (`wide`); the
// other view has no indices.
struct ForwardView {
  CsrView wide;
  NarrowRows narrow;
  const DocNo* docnos = nullptr;

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
