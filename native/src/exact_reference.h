// Calibration's exact reference: the exact top-k of a batch of queries over a segment's rows before
// they are built, in one pass over the rows for the whole batch (a row's entries look up which
// queries hold their term: a table of the batch's terms), nothing materialised. Pure C++;
// src/engine/scoring/calibrate.ts calls it through src/index/native.ts exactReference.
#pragma once

#include <cstddef>
#include <vector>

#include "common.h"

namespace sparrow {

// Per query, its k best rows (score descending, then row ascending) as hits with docno docnos[row];
// only rows scoring > 0. Weights are rounded with RoundToHalfPrecision (half.h) when round_half (the segment
// stores binary16), else used as given (a BM25 segment scores exact weights). A row's score is the
// float sum of w x v in ascending term order, as the segment's exact forward scan sums it. Rows are
// split over `threads` threads (the caller is one); the result does not depend on the split.
std::vector<std::vector<Hit>> ExactReference(const CsrView& docs, const DocNo* docnos, const CsrView& queries, size_t k,
                                             bool round_half, size_t threads);

}  // namespace sparrow
