// Checks of Seismic parameters (from callers) and of Seismic arrays (from files).
#include "seismic_types.h"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

namespace sparrow {
namespace {

void Require(bool ok, const std::string& field, const std::string& rule) {
  if (!ok) throw std::invalid_argument("seismic params: " + field + " " + rule);
}

bool Fraction(double x) { return std::isfinite(x) && x > 0.0 && x <= 1.0; }

template <typename T>
bool Offsets(std::span<const T> off, size_t count, size_t end) {
  if (off.size() != count + 1 || off[0] != 0 || off[count] != end) return false;
  for (size_t i = 0; i < count; i++)
    if (off[i] > off[i + 1]) return false;
  return true;
}

}  // namespace

std::vector<uint8_t> PackRows(std::span<const uint32_t> rows, uint32_t bits) {
  std::vector<uint8_t> out(PackedBytes(rows.size(), bits), 0);
  for (size_t i = 0; i < rows.size(); i++) {
    size_t bit = i * bits;
    uint64_t w;
    std::memcpy(&w, out.data() + bit / 8, sizeof w);
    w |= uint64_t{rows[i]} << (bit % 8);
    std::memcpy(out.data() + bit / 8, &w, sizeof w);
  }
  return out;
}

void ValidateSeismicParams(const SeismicParams& p) {
  Require(std::isfinite(p.n_postings) && p.n_postings >= 1.0 && p.n_postings <= 1e9, "nPostings", "must be in [1, 1e9]");
  Require(std::isfinite(p.max_fraction) && p.max_fraction >= 1.0 && p.max_fraction <= 1000.0, "maxFraction", "must be in [1, 1000]");
  Require(Fraction(p.centroid_fraction), "centroidFraction", "must be in (0, 1]");
  Require(Fraction(p.summary_energy), "summaryEnergy", "must be in (0, 1]");
  Require(std::isfinite(p.summary_cap) && p.summary_cap > 0.0 && p.summary_cap <= 1e6, "summaryCap", "must be in (0, 1e6]");
  Require(p.doc_cut >= 1 && p.doc_cut <= 255, "docCut", "must be an integer in [1, 255]");
  Require(p.n_knn <= 256, "nKnn", "must be an integer in [0, 256]");
  Require(p.pruning_disabled <= 1, "pruningDisabled", "must be a boolean");
  Require(p.threads >= 1 && p.threads <= 256, "threads", "must be an integer in [1, 256]");
  Require(p.exhaustive_below <= (uint64_t{1} << 53), "exhaustiveBelow", "must be an integer in [0, 2^53]");
}

const char* CheckSeismicView(const SeismicView& v, size_t forward_rows, size_t num_terms) {
  size_t lists = v.list_terms.size();
  size_t blocks = v.summary_min.size();
  size_t postings = v.NumPostings();
  size_t entries = v.summary_codes.size();
  if (v.num_rows != forward_rows) return "row count differs from the forward index";
  if (v.layout != SeismicLayout::kBlocked && v.layout != SeismicLayout::kExhaustive) return "unknown segment layout";
  if (v.layout == SeismicLayout::kExhaustive && (lists != 0 || blocks != 0 || !v.knn.empty()))
    return "an exhaustive segment has blocks";
  for (size_t i = 1; i < lists; i++)
    if (v.list_terms[i - 1] >= v.list_terms[i]) return "list terms are not strictly increasing";
  if (!Offsets(v.list_blocks, lists, blocks)) return "list offsets are inconsistent";
  if (!Offsets(v.block_postings, blocks, postings)) return "block offsets are inconsistent";
  if (v.postings.size() != PackedBytes(postings, RowBits(v.num_rows))) return "the packed postings have the wrong size";
  if (!Offsets(v.block_summary, blocks, entries)) return "summary offsets are inconsistent";
  if (v.summary_scale.size() != blocks) return "summary scales are missing";
  if (v.summary_terms16.size() + v.summary_terms32.size() != entries ||
      (!v.summary_terms16.empty() && !v.summary_terms32.empty()))
    return "summary terms are inconsistent";
  for (size_t b = 0; b < blocks; b++)
    if (!std::isfinite(v.summary_min[b]) || !std::isfinite(v.summary_scale[b]) || v.summary_scale[b] < 0.0f)
      return "a summary scale is not finite";
  if (lists > 0 && v.list_terms[lists - 1] >= num_terms) return "a list term is past the dictionary";
  for (uint16_t t : v.summary_terms16)
    if (t >= num_terms) return "a summary term is past the dictionary";
  for (uint32_t t : v.summary_terms32)
    if (t >= num_terms) return "a summary term is past the dictionary";
  for (size_t i = 0; i < postings; i++)
    if (v.Posting(i) >= forward_rows) return "a posting points past the forward index";
  if (!v.knn.empty()) {
    if (v.knn.size() != size_t{v.num_rows} * v.params.n_knn) return "kNN graph has the wrong size";
    for (uint32_t r : v.knn)
      if (r != kNoRow && r >= forward_rows) return "a kNN neighbour points past the forward index";
  }
  return nullptr;
}

}  // namespace sparrow
