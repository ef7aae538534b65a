// Rows a native test builds a segment from: CSR in collection term ids, one docno and one document
// length (kNoLength: plain weights) per row.
#pragma once

#include <cstdint>
#include <vector>

#include "common.h"

struct TestRows {
  std::vector<uint32_t> indptr{0};
  std::vector<sparrow::TermId> indices;
  std::vector<float> values;
  std::vector<sparrow::DocNo> docnos;
  std::vector<uint32_t> lengths;
};
