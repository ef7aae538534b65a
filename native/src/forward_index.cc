// Forward index: build with term remapping, save, verified mmap load (see forward_index.h).
#include "forward_index.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sparrow {

namespace {

constexpr Magic kForwardMagic = {'S', 'P', 'R', 'W', 'F', 'W', 'D', '\0'};
constexpr uint32_t kForwardVersion = 1;
enum ForwardSection : uint32_t { kIndptr = 1, kTerms = 2, kValues = 3, kDocnos = 4, kVocab = 5 };

constexpr uint32_t kAbsent = std::numeric_limits<uint32_t>::max();

}  // namespace

void ForwardIndex::Adopt() {
  indptr_ = own_indptr_;
  terms_ = own_terms_;
  values_ = own_values_;
  docnos_ = own_docnos_;
  vocab_ = own_vocab_;
}

std::shared_ptr<const ForwardIndex> ForwardIndex::Build(const CsrView& rows, const DocNo* docnos) {
  std::shared_ptr<ForwardIndex> f(new ForwardIndex());
  size_t nnz = rows.indptr[rows.rows];
  f->own_indptr_.assign(rows.indptr, rows.indptr + rows.rows + 1);
  f->own_values_.assign(rows.values, rows.values + nnz);
  f->own_docnos_.assign(docnos, docnos + rows.rows);
  f->own_terms_.resize(nnz);
  TermId max_term = 0;
  for (size_t j = 0; j < nnz; ++j) max_term = std::max(max_term, rows.indices[j]);
  // Remap with a direct table when the id range is within a small multiple of nnz (memory stays
  // O(nnz)); otherwise sort the distinct ids and binary-search them (any vocabulary up to 2^32).
  if (nnz > 0 && uint64_t{max_term} + 1 <= 2 * uint64_t{nnz} + 65536) {
    std::vector<uint32_t> table(size_t{max_term} + 1, kAbsent);
    for (size_t j = 0; j < nnz; ++j) table[rows.indices[j]] = 0;
    for (size_t t = 0; t < table.size(); ++t) {
      if (table[t] == 0) {
        table[t] = static_cast<uint32_t>(f->own_vocab_.size());
        f->own_vocab_.push_back(static_cast<TermId>(t));
      }
    }
    for (size_t j = 0; j < nnz; ++j) f->own_terms_[j] = table[rows.indices[j]];
  } else {
    f->own_vocab_.assign(rows.indices, rows.indices + nnz);
    std::sort(f->own_vocab_.begin(), f->own_vocab_.end());
    f->own_vocab_.erase(std::unique(f->own_vocab_.begin(), f->own_vocab_.end()), f->own_vocab_.end());
    for (size_t j = 0; j < nnz; ++j) {
      auto it = std::lower_bound(f->own_vocab_.begin(), f->own_vocab_.end(), rows.indices[j]);
      f->own_terms_[j] = static_cast<uint32_t>(it - f->own_vocab_.begin());
    }
  }
  f->own_vocab_.shrink_to_fit();
  f->Adopt();
  return f;
}

size_t ForwardIndex::Bytes() const {
  return indptr_.size_bytes() + terms_.size_bytes() + values_.size_bytes() + docnos_.size_bytes() + vocab_.size_bytes();
}

int64_t FindLocal(std::span<const TermId> vocab, TermId global) {
  auto it = std::lower_bound(vocab.begin(), vocab.end(), global);
  if (it == vocab.end() || *it != global) return -1;
  return it - vocab.begin();
}

LocalQuery ForwardIndex::MapQuery(const CsrView& queries, size_t q) const {
  LocalQuery out;
  out.reserve(queries.RowLen(q));
  for (uint32_t j = queries.indptr[q]; j < queries.indptr[q + 1]; ++j) {
    int64_t local = LocalId(queries.indices[j]);
    if (local >= 0) out.emplace_back(static_cast<uint32_t>(local), queries.values[j]);
  }
  return out;
}

void ForwardIndex::Save(const std::string& path) const {
  FileWriter w(kForwardMagic, kForwardVersion);
  RowsParams params{NumDocs(), Nnz(), VocabSize()};
  w.SetParams(&params, sizeof params);
  w.AddSection(kIndptr, indptr_.data(), indptr_.size_bytes());
  w.AddSection(kTerms, terms_.data(), terms_.size_bytes());
  w.AddSection(kValues, values_.data(), values_.size_bytes());
  w.AddSection(kDocnos, docnos_.data(), docnos_.size_bytes());
  w.AddSection(kVocab, vocab_.data(), vocab_.size_bytes());
  w.Write(path);
}

void CheckRows(const MappedFile& file, std::span<const uint64_t> indptr, std::span<const uint32_t> terms,
               std::span<const float> values, size_t vocab) {
  CheckFile(!indptr.empty() && indptr[0] == 0 && indptr.back() == terms.size(), file, "row offsets do not span the rows");
  CheckFile(terms.size() == values.size(), file, "term and weight counts differ");
  for (size_t r = 0; r + 1 < indptr.size(); ++r) {
    CheckFile(indptr[r] <= indptr[r + 1] && indptr[r + 1] <= terms.size(), file, "row offsets decrease");
    for (uint64_t j = indptr[r]; j < indptr[r + 1]; ++j) {
      CheckFile(terms[j] < vocab, file, "term id outside the vocabulary");
      CheckFile(j == indptr[r] || terms[j] > terms[j - 1], file, "row term ids not increasing");
      CheckFile(std::isfinite(values[j]) && values[j] >= 0, file, "weight not finite or negative");
    }
  }
}

std::shared_ptr<const ForwardIndex> ForwardIndex::Load(const std::string& path) {
  std::shared_ptr<ForwardIndex> f(new ForwardIndex());
  f->file_ = MappedFile::Open(path, kForwardMagic, kForwardVersion);
  const MappedFile& file = *f->file_;
  auto params = file.Params<RowsParams>();
  f->indptr_ = file.Section<uint64_t>(kIndptr);
  f->terms_ = file.Section<uint32_t>(kTerms);
  f->values_ = file.Section<float>(kValues);
  f->docnos_ = file.Section<DocNo>(kDocnos);
  f->vocab_ = file.Section<TermId>(kVocab);
  CheckFile(f->indptr_.size() == params.num_docs + 1 && f->docnos_.size() == params.num_docs, file, "row counts disagree");
  CheckFile(f->terms_.size() == params.nnz && f->vocab_.size() == params.vocab_size, file, "counts disagree with the header");
  for (size_t t = 1; t < f->vocab_.size(); ++t) CheckFile(f->vocab_[t] > f->vocab_[t - 1], file, "vocabulary not increasing");
  CheckRows(file, f->indptr_, f->terms_, f->values_, f->vocab_.size());
  return f;
}

}  // namespace sparrow
