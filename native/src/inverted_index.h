// Exhaustive inverted index: full posting lists, term-at-a-time scoring with accumulators
// (what an inverted-index engine does without pruning). Pure C++.
//
// Lists are per local term id of the forward index it was built from (same vocab and docnos),
// each list sorted by row. Scores equal ExactSearch bit for bit (see exact_search.h).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common.h"
#include "file_format.h"
#include "forward_index.h"

namespace sparrow {

class InvertedIndex {
 public:
  static std::shared_ptr<const InvertedIndex> Build(std::shared_ptr<const ForwardIndex> forward);
  static std::shared_ptr<const InvertedIndex> Load(const std::string& path);
  void Save(const std::string& path) const;

  size_t NumDocs() const { return docnos_.size(); }
  size_t Bytes() const;

  // Query q of a batch: top-k by inner product among accepted documents with a positive score.
  std::vector<Hit> Search(const CsrView& queries, size_t q, size_t k, float threshold, const DocFilter& filter,
                          QueryStats* stats) const;

 private:
  InvertedIndex() = default;

  std::shared_ptr<const ForwardIndex> forward_;  // when built: docnos and vocab are shared
  std::shared_ptr<const MappedFile> file_;       // when loaded
  std::vector<uint64_t> own_offsets_;
  std::vector<uint32_t> own_rows_;
  std::vector<float> own_weights_;

  std::span<const uint64_t> offsets_;  // vocab + 1 entries
  std::span<const uint32_t> rows_;     // posting -> row
  std::span<const float> weights_;
  std::span<const DocNo> docnos_;
  std::span<const TermId> vocab_;
};

}  // namespace sparrow
