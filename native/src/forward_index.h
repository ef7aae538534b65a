// A segment's forward index: its rows (documents) as sorted (term, weight) pairs (pure C++).
//
// Term ids are remapped at build time to dense local ids 0..VocabSize()-1, assigned in ascending
// order of the global id (so rows stay sorted and local order == global order); vocab()[local] is
// the global id. A 2^32 vocabulary therefore costs nothing: every per-term array is sized by the
// terms the segment actually holds (<= nnz). Each row carries its collection docno.
// Immutable after Build/Load; share it as shared_ptr<const ForwardIndex> (searches pin it).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common.h"
#include "file_format.h"

namespace sparrow {

// (local term id, query weight) pairs of one query, ascending local id.
using LocalQuery = std::vector<std::pair<uint32_t, float>>;

// The parameter block of forward and inverted files.
struct RowsParams {
  uint64_t num_docs;
  uint64_t nnz;
  uint64_t vocab_size;
};

// Position of `global` in an ascending vocabulary (its local id), or -1 when absent.
int64_t FindLocal(std::span<const TermId> vocab, TermId global);

class ForwardIndex {
 public:
  // rows: validated CSR (sorted term ids, finite weights >= 0); docnos: one per row.
  static std::shared_ptr<const ForwardIndex> Build(const CsrView& rows, const DocNo* docnos);
  // mmap; throws CorruptFileError on any damage or inconsistency.
  static std::shared_ptr<const ForwardIndex> Load(const std::string& path);
  void Save(const std::string& path) const;

  size_t NumDocs() const { return docnos_.size(); }
  size_t Nnz() const { return terms_.size(); }
  size_t VocabSize() const { return vocab_.size(); }
  size_t Bytes() const;

  std::span<const uint64_t> indptr() const { return indptr_; }  // NumDocs()+1 entries
  std::span<const uint32_t> terms() const { return terms_; }    // local term ids
  std::span<const float> values() const { return values_; }
  std::span<const DocNo> docnos() const { return docnos_; }
  std::span<const TermId> vocab() const { return vocab_; }      // local -> global, ascending

  // Local id of a global term id, or -1 when the segment does not hold it.
  int64_t LocalId(TermId global) const { return FindLocal(vocab_, global); }
  // Query q of a batch in local ids; terms absent from the segment are dropped.
  LocalQuery MapQuery(const CsrView& queries, size_t q) const;

 private:
  ForwardIndex() = default;
  void Adopt();  // points the spans at the owned vectors

  std::vector<uint64_t> own_indptr_;
  std::vector<uint32_t> own_terms_;
  std::vector<float> own_values_;
  std::vector<DocNo> own_docnos_;
  std::vector<TermId> own_vocab_;
  std::shared_ptr<const MappedFile> file_;  // when loaded

  std::span<const uint64_t> indptr_;
  std::span<const uint32_t> terms_;
  std::span<const float> values_;
  std::span<const DocNo> docnos_;
  std::span<const TermId> vocab_;
};

// Checks that a CSR over local ids is consistent (indptr monotone from 0 to nnz, term ids < vocab
// and strictly increasing per row, weights finite >= 0); throws CorruptFileError naming `file`.
void CheckRows(const MappedFile& file, std::span<const uint64_t> indptr, std::span<const uint32_t> terms,
               std::span<const float> values, size_t vocab);

}  // namespace sparrow
