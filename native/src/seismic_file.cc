// Seismic segment files (see seismic_file.h).
#include "seismic_file.h"

#include <cmath>
#include <stdexcept>

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
  kCalibration,
  kTermDict,
  kLengths,
};

template <typename T>
void Add(FileWriter& w, uint32_t id, std::span<const T> s) {
  w.AddSection(id, s.data(), s.size_bytes());
}

template <typename Rows>
const char* CheckForward(const Rows& f, size_t nnz, size_t num_terms) {
  const uint32_t* p = f.indptr;
  if (p[0] != 0 || p[f.rows] != nnz) return "forward row offsets are inconsistent";
  for (size_t r = 0; r < f.rows; r++) {
    if (p[r] > p[r + 1]) return "forward row offsets decrease";
    for (size_t i = p[r] + 1; i < p[r + 1]; i++)
      if (f.indices[i - 1] >= f.indices[i]) return "forward term ids are not increasing";
    if (p[r + 1] > p[r] && f.indices[p[r + 1] - 1] >= num_terms) return "a forward term id is past the dictionary";
  }
  return nullptr;
}

}  // namespace

RowScoring ForwardView::Scoring(double live_avgdl) const {
  RowScoring s;
  if (!IsBm25()) return s;
  double avgdl = live_avgdl > 0.0 ? live_avgdl : bm25.avgdl;
  s.lengths = lengths;
  s.norm_a = static_cast<float>(double{bm25.k1} * (1.0 - double{bm25.b}));
  s.norm_b = static_cast<float>(double{bm25.k1} * double{bm25.b} / avgdl);
  s.weight_scale = std::ldexp(1.0f, value_exp);
  return s;
}

void SaveSeismic(const std::string& path, const ForwardView& forward, const SeismicView& ix,
                 std::string_view calibration) {
  if (calibration.size() > kMaxCalibrationBytes) throw std::invalid_argument("seismic: the calibration exceeds 1 MiB");
  size_t rows = forward.NumRows(), nnz = forward.Nnz();
  // One width for the forward and summary term ids: both follow from the segment's largest id.
  if (forward.IsNarrow() ? !ix.summary_terms32.empty() : !ix.summary_terms16.empty())
    throw std::logic_error("seismic: forward and summary term widths differ");
  SeismicFileParams fp{};
  fp.params = ix.params;
  fp.num_rows = static_cast<uint32_t>(rows);
  fp.term_width = forward.IsNarrow() ? 16u : 32u;
  fp.nnz = nnz;
  fp.layout = static_cast<uint32_t>(ix.layout);
  fp.value_exp = forward.value_exp;
  fp.num_terms = forward.terms.size();
  if (forward.IsBm25()) {
    fp.bm25_avgdl = forward.bm25.avgdl;
    fp.bm25_k1 = forward.bm25.k1;
    fp.bm25_b = forward.bm25.b;
  }
  FileWriter w(kSeismicMagic, kSeismicKindVersion);
  w.SetParams(&fp, sizeof fp);
  w.AddSection(kIndptr, forward.Indptr(), (rows + 1) * sizeof(uint32_t));
  forward.Visit([&](const auto& r) {
    w.AddSection(kIndices, r.indices, nnz * sizeof(*r.indices));
    w.AddSection(kValues, r.values, nnz * sizeof(Half));
  });
  Add(w, kTermDict, forward.terms);
  w.AddSection(kDocnos, forward.docnos, rows * sizeof(DocNo));
  if (forward.IsBm25()) w.AddSection(kLengths, forward.lengths, rows * sizeof(uint32_t));
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
  w.AddSection(kCalibration, calibration.data(), calibration.size());
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
  CheckFile(fp.layout <= static_cast<uint32_t>(SeismicLayout::kExhaustive), f, "unknown segment layout");
  std::span<const uint8_t> calibration = f.RawSection(kCalibration);
  CheckFile(calibration.size() <= kMaxCalibrationBytes, f, "the calibration exceeds 1 MiB");
  out.calibration = std::string_view(reinterpret_cast<const char*>(calibration.data()), calibration.size());
  CheckFile(fp.value_exp >= -200 && fp.value_exp <= 200, f, "weight scale out of range");
  auto indptr = f.Section<uint32_t>(kIndptr);
  auto values = f.Section<Half>(kValues);
  auto docnos = f.Section<DocNo>(kDocnos);
  out.forward.terms = f.Section<TermId>(kTermDict);
  out.forward.value_exp = fp.value_exp;
  CheckFile(out.forward.terms.size() == fp.num_terms, f, "term dictionary has the wrong size");
  for (size_t i = 1; i < out.forward.terms.size(); i++)
    CheckFile(out.forward.terms[i - 1] < out.forward.terms[i], f, "term dictionary is not strictly increasing");
  CheckFile((fp.term_width == 16) == (fp.num_terms <= 65536), f, "term width does not fit the dictionary");
  size_t indices = 0;
  if (fp.term_width == 16) {
    auto narrow = f.Section<uint16_t>(kIndices);
    out.forward.narrow = HalfRows16{indptr.data(), narrow.data(), values.data(), fp.num_rows};
    indices = narrow.size();
  } else {
    auto wide = f.Section<uint32_t>(kIndices);
    out.forward.wide = HalfRows32{indptr.data(), wide.data(), values.data(), fp.num_rows};
    indices = wide.size();
  }
  out.forward.docnos = docnos.data();
  CheckFile(indptr.size() == size_t{fp.num_rows} + 1 && indices == fp.nnz && values.size() == fp.nnz &&
                docnos.size() == fp.num_rows,
            f, "forward sections have the wrong sizes");
  if (const char* bad = out.forward.Visit([&](const auto& r) { return CheckForward(r, fp.nnz, fp.num_terms); })) f.Corrupt(bad);
  if (fp.bm25_avgdl != 0.0) {
    CheckFile(std::isfinite(fp.bm25_avgdl) && fp.bm25_avgdl > 0.0 && std::isfinite(fp.bm25_k1) && fp.bm25_k1 > 0.0f &&
                  fp.bm25_b >= 0.0f && fp.bm25_b <= 1.0f,
              f, "BM25 statistics out of range");
    auto lengths = f.Section<uint32_t>(kLengths);
    CheckFile(lengths.size() == fp.num_rows, f, "the lengths section has the wrong size");
    out.forward.lengths = lengths.data();
    out.forward.bm25 = Bm25Stats{fp.bm25_avgdl, fp.bm25_k1, fp.bm25_b};
  }

  SeismicView& v = out.index;
  v.params = fp.params;
  v.layout = static_cast<SeismicLayout>(fp.layout);
  v.num_rows = fp.num_rows;
  v.list_terms = f.Section<uint32_t>(kListTerms);
  v.list_blocks = f.Section<uint32_t>(kListBlocks);
  v.block_postings = f.Section<uint32_t>(kBlockPostings);
  v.postings = f.Section<uint8_t>(kPostings);
  v.block_summary = f.Section<uint32_t>(kBlockSummary);
  v.summary_min = f.Section<float>(kSummaryMin);
  v.summary_scale = f.Section<float>(kSummaryScale);
  if (fp.term_width == 16)
    v.summary_terms16 = f.Section<uint16_t>(kSummaryTerms);
  else
    v.summary_terms32 = f.Section<uint32_t>(kSummaryTerms);
  v.summary_codes = f.Section<uint8_t>(kSummaryCodes);
  v.knn = f.Section<uint32_t>(kKnn);
  if (const char* bad = CheckSeismicView(v, fp.num_rows, fp.num_terms)) f.Corrupt(bad);
  return out;
}

}  // namespace sparrow
