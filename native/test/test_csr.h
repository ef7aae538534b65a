// A CSR matrix the native tests build row by row (indptr starts at {0}) and hand out as a CsrView.
#pragma once

#include <cstdint>
#include <vector>

#include "common.h"

struct Csr {
  std::vector<uint32_t> indptr{0};
  std::vector<sparrow::TermId> indices;
  std::vector<float> values;
  sparrow::CsrView View() const { return {indptr.data(), indices.data(), values.data(), indptr.size() - 1}; }
};
