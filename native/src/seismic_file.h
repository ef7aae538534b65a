// Seismic segment files: the forward rows and the blocked index in one checksummed container
// (file_format.h). Every build parameter is in the header's parameter block.
#pragma once

#include <memory>
#include <string>

#include "common.h"
#include "file_format.h"
#include "seismic_types.h"

namespace sparrow {

inline constexpr Magic kSeismicMagic = {'S', 'P', 'R', 'W', 'S', 'E', 'I', 'S'};
inline constexpr uint32_t kSeismicKindVersion = 1;

// The parameter block of a segment file (POD, fixed layout).
struct SeismicFileParams {
  SeismicParams params;
  uint32_t num_rows;
  uint32_t term_width;  // 16 or 32: width of the summary term ids
  uint64_t nnz;         // forward non-zeros
};
static_assert(sizeof(SeismicFileParams) == 80);

// Forward rows of a segment: rows (term-sorted) and row -> collection docno.
struct ForwardView {
  CsrView rows;
  const DocNo* docnos = nullptr;
};

// Writes atomically (temp name, fsync, rename); throws std::system_error on I/O failure.
void SaveSeismic(const std::string& path, const ForwardView& forward, const SeismicView& index);

// A mapped segment file; the views point into the mapping, which lives as long as this object.
struct LoadedSeismic {
  std::shared_ptr<const MappedFile> file;
  ForwardView forward;
  SeismicView index;
};

// Maps and checks a file (container checks + every offset and id of the content); throws
// CorruptFileError on damage, another magic or version, or inconsistent content.
LoadedSeismic LoadSeismic(const std::string& path);

}  // namespace sparrow
