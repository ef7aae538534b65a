// Seismic segment files (see seismic_file.h).
#include "seismic_file.h"

namespace sparrow {
namespace {

enum Section : uint32_t {
  kIndptr = 1,
  kIndices,
  kValues,
  kDocnos,
  kListTerms = 10,
  kListBlocks,
  kBlockPostings,
  kPostings,
  kBlockSummary,
  kSummaryMin,
  kSummaryScale,
  kSummaryTerms,
  kSummaryCodes,
  kKnn,
};

template <typename T>
void Add(FileWriter& w, uint32_t id, std::span<const T> s) {
  w.AddSection(id, s.data(), s.size_bytes());
}

const char* CheckForward(const ForwardView& f, size_t rows, size_t nnz) {
  const uint32_t* p = f.rows.indptr;
  if (p[0] != 0 || p[rows] != nnz) return "forward row offsets are inconsistent";
  for (size_t r = 0; r < rows; r++) {
    if (p[r] > p[r + 1]) return "forward row offsets decrease";
    for (size_t i = p[r] + 1; i < p[r + 1]; i++)
      if (f.rows.indices[i - 1] >= f.rows.indices[i]) return "forward term ids are not increasing";
  }
  return nullptr;
}

}  // namespace

void SaveSeismic(const std::string& path, const ForwardView& forward, const SeismicView& ix) {
  size_t rows = forward.rows.rows, nnz = forward.rows.indptr[rows];
  SeismicFileParams fp{ix.params, static_cast<uint32_t>(rows), ix.summary_terms32.empty() ? 16u : 32u, nnz};
  FileWriter w(kSeismicMagic, kSeismicKindVersion);
  w.SetParams(&fp, sizeof fp);
  w.AddSection(kIndptr, forward.rows.indptr, (rows + 1) * sizeof(uint32_t));
  w.AddSection(kIndices, forward.rows.indices, nnz * sizeof(TermId));
  w.AddSection(kValues, forward.rows.values, nnz * sizeof(float));
  w.AddSection(kDocnos, forward.docnos, rows * sizeof(DocNo));
  Add(w, kListTerms, ix.list_terms);
  Add(w, kListBlocks, ix.list_blocks);
  Add(w, kBlockPostings, ix.block_postings);
  Add(w, kPostings, ix.postings);
  Add(w, kBlockSummary, ix.block_summary);
  Add(w, kSummaryMin, ix.summary_min);
  Add(w, kSummaryScale, ix.summary_scale);
  if (fp.term_width == 16)
    Add(w, kSummaryTerms, ix.summary_terms16);
  else
    Add(w, kSummaryTerms, ix.summary_terms32);
  Add(w, kSummaryCodes, ix.summary_codes);
  Add(w, kKnn, ix.knn);
  w.Write(path);
}

LoadedSeismic LoadSeismic(const std::string& path) {
  LoadedSeismic out;
  out.file = MappedFile::Open(path, kSeismicMagic, kSeismicKindVersion);
  const MappedFile& f = *out.file;
  SeismicFileParams fp = f.Params<SeismicFileParams>();
  try {
    ValidateSeismicParams(fp.params);
  } catch (const std::invalid_argument& e) {
    f.Corrupt(e.what());
  }
  CheckFile(fp.term_width == 16 || fp.term_width == 32, f, "summary term width is neither 16 nor 32");
  auto indptr = f.Section<uint32_t>(kIndptr);
  auto indices = f.Section<TermId>(kIndices);
  auto values = f.Section<float>(kValues);
  auto docnos = f.Section<DocNo>(kDocnos);
  CheckFile(indptr.size() == size_t{fp.num_rows} + 1 && indices.size() == fp.nnz && values.size() == fp.nnz &&
                docnos.size() == fp.num_rows,
            f, "forward sections have the wrong sizes");
  out.forward = ForwardView{CsrView{indptr.data(), indices.data(), values.data(), fp.num_rows}, docnos.data()};
  if (const char* bad = CheckForward(out.forward, fp.num_rows, fp.nnz)) f.Corrupt(bad);

  SeismicView& v = out.index;
  v.params = fp.params;
  v.num_rows = fp.num_rows;
  v.list_terms = f.Section<uint32_t>(kListTerms);
  v.list_blocks = f.Section<uint32_t>(kListBlocks);
  v.block_postings = f.Section<uint32_t>(kBlockPostings);
  v.postings = f.Section<uint32_t>(kPostings);
  v.block_summary = f.Section<uint32_t>(kBlockSummary);
  v.summary_min = f.Section<float>(kSummaryMin);
  v.summary_scale = f.Section<float>(kSummaryScale);
  if (fp.term_width == 16)
    v.summary_terms16 = f.Section<uint16_t>(kSummaryTerms);
  else
    v.summary_terms32 = f.Section<uint32_t>(kSummaryTerms);
  v.summary_codes = f.Section<uint8_t>(kSummaryCodes);
  v.knn = f.Section<uint32_t>(kKnn);
  if (const char* bad = CheckSeismicView(v, fp.num_rows)) f.Corrupt(bad);
  return out;
}

}  // namespace sparrow
