// Hot loops of sparse scoring against a dense query array. A row's inner product is a scalar loop
// over a bitmap of the query's terms (measured faster than an 8-lane gather of the weights: most
// lanes miss and the gathers read L2); a block summary's score has an AVX2 version chosen at run time
// on x86-64 (the addon's baseline is x86-64-v2) and a portable one everywhere else.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common.h"
#include "half.h"

namespace sparrow {

// A query over a dense term range [0, limit): its weights, and a bitmap of the terms it holds (bit
// t % 64 of bits[t / 64] set iff weights[t] != 0). Most terms of a row are not in the query; the
// bitmap (limit / 8 bytes, in L1 for a 65,536-term segment) answers them without touching the
// weights, and the rare hits read one weight each.
struct DenseQuery {
  const float* weights;
  const uint64_t* bits;
  uint32_t limit;
  bool Holds(uint32_t t) const { return t < limit && ((bits[t >> 6] >> (t & 63)) & 1) != 0; }
};

// Sum over i in ascending order of q[terms[i]] * values[i], over the terms the query holds: the
// merge-based inner product bit for bit (same products, same order, zero products left out).
// Values in float32 (rows being built) or binary16 (a segment's forward rows).
template <typename TermT, typename ValueT>
inline float DotDense(const DenseQuery& q, const TermT* terms, const ValueT* values, size_t n) {
  float s = 0.0f;
  for (size_t i = 0; i < n; i++)
    if (q.Holds(terms[i])) s += q.weights[terms[i]] * AsFloat(values[i]);
  return s;
}

// BM25 rows (term frequencies): the sum in ascending order of w * (tf / (tf + norm)) over the
// terms the query holds, w = q.weights[terms[i]], tf = values[i].
template <typename TermT>
inline float DotBm25(const DenseQuery& q, const TermT* terms, const Half* values, size_t n, float norm) {
  float s = 0.0f;
  for (size_t i = 0; i < n; i++) {
    if (!q.Holds(terms[i])) continue;
    float tf = HalfToFloat(values[i]);
    s += q.weights[terms[i]] * (tf / (tf + norm));
  }
  return s;
}

// Sum over i of q[terms[i]] * (min + scale * codes[i]) (terms >= limit count 0): a block summary's
// score. Summation order is unspecified (callers allow a relative slack).
float SummaryDot(const float* q, uint32_t limit, const uint16_t* terms, const uint8_t* codes, size_t n, float min, float scale);
float SummaryDot(const float* q, uint32_t limit, const uint32_t* terms, const uint8_t* codes, size_t n, float min, float scale);

// "avx2" (with F16C) or "portable": which version this process uses (SPARROW_SIMD=portable forces portable).
const char* SimdKernelName();

}  // namespace sparrow
