// See simd_kernels.h. The AVX2 bodies are compiled with a target attribute, so the rest of the
// addon keeps its baseline; one CPU check at load picks the version.
#include "simd_kernels.h"

#include "half.h"

#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define SPARROW_X86_SIMD 1
#endif

namespace sparrow {
namespace {

inline float Weight(const float* q, uint32_t limit, uint32_t t) { return t < limit ? q[t] : 0.0f; }

template <typename TermT>
float SummaryDotPortable(const float* q, uint32_t limit, const TermT* terms, const uint8_t* codes, size_t n,
                         size_t /*readable*/, float min, float scale) {
  float s[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (size_t j = 0; j < 4; j++) s[j] += Weight(q, limit, terms[i + j]) * (min + scale * static_cast<float>(codes[i + j]));
  for (; i < n; i++) s[0] += Weight(q, limit, terms[i]) * (min + scale * static_cast<float>(codes[i]));
  return (s[0] + s[1]) + (s[2] + s[3]);
}

#ifdef SPARROW_X86_SIMD
// Lanes whose (unsigned) term is below limit, of those in `lanes`; the gather reads only those.
__attribute__((target("avx2"))) inline __m256 GatherBelow(const float* q, __m256i idx, __m256i limit,
                                                        __m256i lanes = _mm256_set1_epi32(-1)) {
  __m256i in = _mm256_cmpeq_epi32(_mm256_min_epu32(idx, limit), idx);        // idx <= limit - 1 ...
  in = _mm256_andnot_si256(_mm256_cmpeq_epi32(idx, limit), _mm256_and_si256(in, lanes));  // ... and idx != limit
  return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), q, idx, _mm256_castsi256_ps(in), 4);
}

template <typename TermT>
__attribute__((target("avx2"))) inline __m256i LoadTerms(const TermT* terms) {
  if constexpr (sizeof(TermT) == 2)
    return _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(terms)));
  else
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(terms));
}

// acc + w x (min + scale x codes[0..8)).
__attribute__((target("avx2"))) inline __m256 AddSummary8(__m256 acc, __m256 w, const uint8_t* codes, __m256 vmin, __m256 vscale) {
  __m256 c = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes))));
  return _mm256_add_ps(acc, _mm256_mul_ps(w, _mm256_add_ps(vmin, _mm256_mul_ps(vscale, c))));
}

template <typename TermT>
__attribute__((target("avx2"))) float SummaryDotAvx2(const float* q, uint32_t limit, const TermT* terms,
                                                     const uint8_t* codes, size_t n, size_t readable, float min,
                                                     float scale) {
  const __m256i lim = _mm256_set1_epi32(static_cast<int>(limit));
  const __m256 vmin = _mm256_set1_ps(min), vscale = _mm256_set1_ps(scale);
  __m256 acc = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) acc = AddSummary8(acc, GatherBelow(q, LoadTerms(terms + i), lim), codes + i, vmin, vscale);
  if (i < n) {
    // The last n - i (< 8) entries as one more step; the lanes past them gather nothing and add 0.
    // Read in place when 8 entries are readable there (the next block's follow), else from
    // zero-padded copies (the array's last block).
    __m256i lanes = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n - i)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    if (readable >= i + 8) {
      __m256 w = GatherBelow(q, LoadTerms(terms + i), lim, lanes);
      acc = AddSummary8(acc, w, codes + i, vmin, vscale);
    } else {
      TermT t[8] = {};
      uint8_t c[8] = {};
      std::memcpy(t, terms + i, (n - i) * sizeof(TermT));
      std::memcpy(c, codes + i, n - i);
      acc = AddSummary8(acc, GatherBelow(q, LoadTerms(t), lim, lanes), c, vmin, vscale);
    }
  }
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  return _mm_cvtss_f32(h);
}

// Bits 0..7: which of terms[0..8) the query holds (DenseQuery::Holds, 8 lanes: the bitmap read
// as 32-bit words, each lane's bit shifted into its sign).
template <typename TermT>
__attribute__((target("avx2"))) inline uint32_t HitMask8(const int* words, __m256i limit, const TermT* terms) {
  const __m256i m31 = _mm256_set1_epi32(31);
  __m256i t = _mm256_min_epu32(LoadTerms(terms), limit);
  __m256i w = _mm256_i32gather_epi32(words, _mm256_srli_epi32(t, 5), 4);
  __m256i top = _mm256_sllv_epi32(w, _mm256_sub_epi32(m31, _mm256_and_si256(t, m31)));
  return static_cast<uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(top)));
}

// The products of the hits in mask (bit j: entry base + j), in ascending order, added to s.
template <bool kBm25, typename TermT>
__attribute__((target("avx2,f16c"))) inline float AddHits(float s, uint32_t mask, size_t base, const DenseQuery& q,
                                                          const TermT* terms, const Half* values, float norm) {
  for (; mask != 0; mask &= mask - 1) {
    size_t i = base + static_cast<size_t>(__builtin_ctz(mask));
    float x = _cvtsh_ss(values[i].bits);
    s += kBm25 ? q.weights[terms[i]] * (x / (x + norm)) : q.weights[terms[i]] * x;
  }
  return s;
}

template <bool kBm25, typename TermT>
__attribute__((target("avx2,f16c"))) float RowDotAvx2(const DenseQuery& q, const TermT* terms, const Half* values,
                                                      size_t n, float norm) {
  const __m256i lim = _mm256_set1_epi32(static_cast<int>(q.limit));
  const int* words = reinterpret_cast<const int*>(q.bits);
  float s = 0.0f;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    uint32_t m = HitMask8(words, lim, terms + i) | HitMask8(words, lim, terms + i + 8) << 8 |
                 HitMask8(words, lim, terms + i + 16) << 16 | HitMask8(words, lim, terms + i + 24) << 24;
    s = AddHits<kBm25>(s, m, i, q, terms, values, norm);
  }
  for (; i + 8 <= n; i += 8) s = AddHits<kBm25>(s, HitMask8(words, lim, terms + i), i, q, terms, values, norm);
  uint32_t m = 0;
  for (size_t j = i; j < n; j++) m |= static_cast<uint32_t>(q.Holds(terms[j])) << (j - i);
  return AddHits<kBm25>(s, m, i, q, terms, values, norm);
}
template <typename TermT>
float HalfRowAvx2(const DenseQuery& q, const TermT* terms, const Half* values, size_t n) {
  return RowDotAvx2<false>(q, terms, values, n, 0.0f);
}
#endif

template <typename TermT>
float HalfRowPortable(const DenseQuery& q, const TermT* terms, const Half* values, size_t n) {
  return DotDense(q, terms, values, n);
}

struct Kernels {
  float (*summary16)(const float*, uint32_t, const uint16_t*, const uint8_t*, size_t, size_t, float, float);
  float (*summary32)(const float*, uint32_t, const uint32_t*, const uint8_t*, size_t, size_t, float, float);
  float (*row16)(const DenseQuery&, const uint16_t*, const Half*, size_t);
  float (*row32)(const DenseQuery&, const uint32_t*, const Half*, size_t);
  float (*bm25_16)(const DenseQuery&, const uint16_t*, const Half*, size_t, float);
  float (*bm25_32)(const DenseQuery&, const uint32_t*, const Half*, size_t, float);
  const char* name;
};

// SPARROW_SIMD=portable forces the portable loops (tests compare the two versions).
Kernels Pick() {
  const char* force = std::getenv("SPARROW_SIMD");
  bool portable = force != nullptr && std::strcmp(force, "portable") == 0;
#ifdef SPARROW_X86_SIMD
  if (!portable && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c")) {
    return {SummaryDotAvx2<uint16_t>, SummaryDotAvx2<uint32_t>, HalfRowAvx2<uint16_t>, HalfRowAvx2<uint32_t>,
            RowDotAvx2<true, uint16_t>, RowDotAvx2<true, uint32_t>, "avx2"};
  }
#endif
  (void)portable;
  return {SummaryDotPortable<uint16_t>, SummaryDotPortable<uint32_t>, HalfRowPortable<uint16_t>, HalfRowPortable<uint32_t>,
          DotBm25<uint16_t>, DotBm25<uint32_t>, "portable"};
}

const Kernels kKernels = Pick();

}  // namespace

float SummaryDot(const float* q, uint32_t limit, const uint16_t* terms, const uint8_t* codes, size_t n, size_t readable,
                 float min, float scale) {
  return kKernels.summary16(q, limit, terms, codes, n, readable, min, scale);
}
float SummaryDot(const float* q, uint32_t limit, const uint32_t* terms, const uint8_t* codes, size_t n, size_t readable,
                 float min, float scale) {
  return kKernels.summary32(q, limit, terms, codes, n, readable, min, scale);
}
float DotHalfRow(const DenseQuery& q, const uint16_t* terms, const Half* values, size_t n) {
  return kKernels.row16(q, terms, values, n);
}
float DotHalfRow(const DenseQuery& q, const uint32_t* terms, const Half* values, size_t n) {
  return kKernels.row32(q, terms, values, n);
}
float DotBm25Row(const DenseQuery& q, const uint16_t* terms, const Half* values, size_t n, float norm) {
  return kKernels.bm25_16(q, terms, values, n, norm);
}
float DotBm25Row(const DenseQuery& q, const uint32_t* terms, const Half* values, size_t n, float norm) {
  return kKernels.bm25_32(q, terms, values, n, norm);
}
const char* SimdKernelName() { return kKernels.name; }

}  // namespace sparrow
