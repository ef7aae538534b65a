// Hot loops of sparse scoring against a dense query array. A row's inner product is a scalar loop
// over the terms a bitmap of the query's terms holds (measured faster than an 8-lane gather of the
// weights: most lanes miss and the gathers read L2). A binary16 row's product and a block summary's
// score have an AVX2 version chosen at run time on x86-64 (the addon's baseline is x86-64-v2) and a
// portable one everywhere else.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common.h"
#include "half.h"

namespace sparrow {

// A query over a dense term range [0, limit): its weights, and a bitmap of the terms it holds (bit
// t % 64 of bits[t / 64] set iff weights[t] != 0). Most terms of a row are not in the query; the
// bitmap (limit / 8 bytes, in L1 for a 65,536-term segment) answers them without touching the
// weights, and the rare hits read one weight each. bits holds limit / 64 + 1 words: bit `limit` is
// the (clear) answer for every term past the range, so a test needs no branch.
struct DenseQuery {
  const float* weights;
  const uint64_t* bits;
  uint32_t limit;
  uint64_t Holds(uint32_t t) const {
    uint32_t u = t < limit ? t : limit;
    return (bits[u >> 6] >> (u & 63)) & 1;
  }
};

// f(i) for each i in ascending order whose terms[i] the query holds. The tests of a 64-entry chunk
// build a mask without branches (a hit is data-dependent: a branch per term mispredicts), then the
// set bits are visited in order.
template <typename TermT, typename F>
inline void ForEachHit(const DenseQuery& q, const TermT* terms, size_t n, F&& f) {
  for (size_t base = 0; base < n; base += 64) {
    const size_t len = n - base < 64 ? n - base : 64;
    uint64_t mask = 0;
    for (size_t i = 0; i < len; i++) mask |= q.Holds(terms[base + i]) << i;
    for (; mask != 0; mask &= mask - 1) f(base + static_cast<size_t>(__builtin_ctzll(mask)));
  }
}

// Sum over i in ascending order of q[terms[i]] * values[i], over the terms the query holds: the
// merge-based inner product bit for bit (same products, same order, zero products left out).
// Values in float32 (rows being built) or binary16 (a segment's forward rows).
template <typename TermT, typename ValueT>
inline float DotDense(const DenseQuery& q, const TermT* terms, const ValueT* values, size_t n) {
  float s = 0.0f;
  ForEachHit(q, terms, n, [&](size_t i) { s += q.weights[terms[i]] * AsFloat(values[i]); });
  return s;
}

// BM25 rows (term frequencies): the sum in ascending order of w * (tf / (tf + norm)) over the
// terms the query holds, w = q.weights[terms[i]], tf = values[i].
template <typename TermT>
inline float DotBm25(const DenseQuery& q, const TermT* terms, const Half* values, size_t n, float norm) {
  float s = 0.0f;
  ForEachHit(q, terms, n, [&](size_t i) {
    float tf = HalfToFloat(values[i]);
    s += q.weights[terms[i]] * (tf / (tf + norm));
  });
  return s;
}

// DotDense and DotBm25 over a segment's binary16 rows, bit for bit: chosen at load like SummaryDot
// (the AVX2 version tests 8 terms against the bitmap at once; the sums are the same products in
// the same order).
float DotHalfRow(const DenseQuery& q, const uint16_t* terms, const Half* values, size_t n);
float DotHalfRow(const DenseQuery& q, const uint32_t* terms, const Half* values, size_t n);
float DotBm25Row(const DenseQuery& q, const uint16_t* terms, const Half* values, size_t n, float norm);
float DotBm25Row(const DenseQuery& q, const uint32_t* terms, const Half* values, size_t n, float norm);

// Sum over i of q[terms[i]] * (min + scale * codes[i]) (terms >= limit count 0): a block summary's
// score. `readable` (>= n): entries of terms and codes that may be read from their start (the rest
// of the array), so the last partial step reads in place. Summation order is unspecified (callers
// allow a relative slack).
float SummaryDot(const float* q, uint32_t limit, const uint16_t* terms, const uint8_t* codes, size_t n, size_t readable,
                 float min, float scale);
float SummaryDot(const float* q, uint32_t limit, const uint32_t* terms, const uint8_t* codes, size_t n, size_t readable,
                 float min, float scale);

// "avx2" (with F16C) or "portable": which version this process uses (SPARROW_SIMD=portable forces portable).
const char* SimdKernelName();

}  // namespace sparrow
