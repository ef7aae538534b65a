// Exhaustive term-at-a-time inverted index; see inverted_index.h.
#include "inverted_index.h"

#include <algorithm>
#include <cmath>

#include "accumulators.h"

namespace sparrow {

namespace {

constexpr Magic kInvertedMagic = {'S', 'P', 'R', 'W', 'I', 'N', 'V', '\0'};
constexpr uint32_t kInvertedVersion = 1;
enum InvertedSection : uint32_t { kOffsets = 1, kRows = 2, kWeights = 3, kDocnos = 4, kVocab = 5 };

}  // namespace

std::shared_ptr<const InvertedIndex> InvertedIndex::Build(std::shared_ptr<const ForwardIndex> forward) {
  std::shared_ptr<InvertedIndex> inv(new InvertedIndex());
  const ForwardIndex& f = *forward;
  size_t vocab = f.VocabSize();
  inv->own_offsets_.assign(vocab + 1, 0);
  for (uint32_t t : f.terms()) ++inv->own_offsets_[t + 1];
  for (size_t t = 0; t < vocab; ++t) inv->own_offsets_[t + 1] += inv->own_offsets_[t];
  std::vector<uint64_t> cursor(inv->own_offsets_.begin(), inv->own_offsets_.end() - 1);
  inv->own_rows_.resize(f.Nnz());
  inv->own_weights_.resize(f.Nnz());
  auto indptr = f.indptr();
  for (size_t r = 0; r < f.NumDocs(); ++r) {
    for (uint64_t j = indptr[r]; j < indptr[r + 1]; ++j) {
      uint64_t at = cursor[f.terms()[j]]++;
      inv->own_rows_[at] = static_cast<uint32_t>(r);
      inv->own_weights_[at] = f.values()[j];
    }
  }
  inv->offsets_ = inv->own_offsets_;
  inv->rows_ = inv->own_rows_;
  inv->weights_ = inv->own_weights_;
  inv->docnos_ = f.docnos();
  inv->vocab_ = f.vocab();
  inv->forward_ = std::move(forward);
  return inv;
}

size_t InvertedIndex::Bytes() const {
  // Lists only when they share the forward index's docnos and vocab.
  size_t lists = offsets_.size_bytes() + rows_.size_bytes() + weights_.size_bytes();
  return forward_ ? lists : lists + docnos_.size_bytes() + vocab_.size_bytes();
}

std::vector<Hit> InvertedIndex::Search(const CsrView& queries, size_t q, size_t k, float threshold,
                                       const DocFilter& filter, QueryStats* stats) const {
  // Query terms in ascending id order: each document's score is summed in the same order as
  // ExactSearch.
  std::vector<std::pair<uint32_t, float>> terms;  // local term, query weight
  uint64_t postings = 0;
  for (uint32_t j = queries.indptr[q]; j < queries.indptr[q + 1]; ++j) {
    int64_t term = FindLocal(vocab_, queries.indices[j]);
    if (term < 0) continue;
    terms.emplace_back(static_cast<uint32_t>(term), queries.values[j]);
    postings += offsets_[term + 1] - offsets_[term];
  }
  Accumulators& acc = Accumulators::ForSearch(NumDocs(), postings);
  for (auto [term, w] : terms) {
    uint64_t begin = offsets_[term], end = offsets_[term + 1];
    const float* weights = weights_.data() + begin;
    acc.AddList(rows_.data() + begin, end - begin, [&](size_t i) { return w * weights[i]; });
  }
  TopK top(k, threshold);
  size_t reached = acc.Drain([&](uint32_t row, float s) {
    DocNo d = docnos_[row];
    if (s > 0.0f && filter.Accept(d)) top.Push(s, d);
  });
  if (stats != nullptr) {
    stats->lists_visited += terms.size();
    stats->postings_total += postings;
    stats->docs_scored += reached;
  }
  return top.Take();
}

void InvertedIndex::Save(const std::string& path) const {
  FileWriter w(kInvertedMagic, kInvertedVersion);
  RowsParams params{NumDocs(), rows_.size(), vocab_.size()};
  w.SetParams(&params, sizeof params);
  w.AddSection(kOffsets, offsets_.data(), offsets_.size_bytes());
  w.AddSection(kRows, rows_.data(), rows_.size_bytes());
  w.AddSection(kWeights, weights_.data(), weights_.size_bytes());
  w.AddSection(kDocnos, docnos_.data(), docnos_.size_bytes());
  w.AddSection(kVocab, vocab_.data(), vocab_.size_bytes());
  w.Write(path);
}

std::shared_ptr<const InvertedIndex> InvertedIndex::Load(const std::string& path) {
  std::shared_ptr<InvertedIndex> inv(new InvertedIndex());
  inv->file_ = MappedFile::Open(path, kInvertedMagic, kInvertedVersion);
  const MappedFile& file = *inv->file_;
  auto params = file.Params<RowsParams>();
  inv->offsets_ = file.Section<uint64_t>(kOffsets);
  inv->rows_ = file.Section<uint32_t>(kRows);
  inv->weights_ = file.Section<float>(kWeights);
  inv->docnos_ = file.Section<DocNo>(kDocnos);
  inv->vocab_ = file.Section<TermId>(kVocab);
  CheckFile(inv->docnos_.size() == params.num_docs && inv->vocab_.size() == params.vocab_size, file,
            "counts disagree with the header");
  CheckFile(inv->offsets_.size() == params.vocab_size + 1, file, "list offsets disagree with the vocabulary");
  for (size_t t = 1; t < inv->vocab_.size(); ++t) CheckFile(inv->vocab_[t] > inv->vocab_[t - 1], file, "vocabulary not increasing");
  // A posting list is a CSR row of (row, weight); rows must index the docnos.
  CheckRows(file, inv->offsets_, inv->rows_, inv->weights_, params.num_docs);
  return inv;
}

}  // namespace sparrow
