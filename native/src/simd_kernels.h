// Hot loops of sparse scoring against a dense query array, with an AVX2 version chosen at run
// time on x86-64 (the addon's baseline is x86-64-v2) and a portable one everywhere else.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common.h"

namespace sparrow {

// For i in [0, n): w = terms[i] < limit ? q[terms[i]] : 0; each non-zero w * values[i] is written
// to out, in order. Returns how many were written (out must hold n). Summing out[0, m) in order
// gives exactly the merge-based inner product (same products, same order).
// Values in float32 (rows being built) or binary16 (a segment's forward rows).
size_t GatherProducts(const float* q, uint32_t limit, const uint32_t* terms, const float* values, size_t n, float* out);
size_t GatherProducts(const float* q, uint32_t limit, const uint16_t* terms, const Half* values, size_t n, float* out);
size_t GatherProducts(const float* q, uint32_t limit, const uint32_t* terms, const Half* values, size_t n, float* out);

// BM25 rows (term frequencies): each non-zero w = q[terms[i]] gives w * (tf / (tf + norm)) with
// tf = values[i], written to out in order (the same arithmetic in both versions: bit-identical).
size_t GatherBm25(const float* q, uint32_t limit, const uint16_t* terms, const Half* values, size_t n, float norm, float* out);
size_t GatherBm25(const float* q, uint32_t limit, const uint32_t* terms, const Half* values, size_t n, float norm, float* out);

// Sum over i of q[terms[i]] * (min + scale * codes[i]) (terms >= limit count 0): a block summary's
// score. Summation order is unspecified (callers allow a relative slack).
float SummaryDot(const float* q, uint32_t limit, const uint16_t* terms, const uint8_t* codes, size_t n, float min, float scale);
float SummaryDot(const float* q, uint32_t limit, const uint32_t* terms, const uint8_t* codes, size_t n, float min, float scale);

// "avx2" (with F16C) or "portable": which version this process uses (SPARROW_SIMD=portable forces portable).
const char* SimdKernelName();

}  // namespace sparrow
