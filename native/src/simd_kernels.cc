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
inline float ValueOf(float v) { return v; }
inline float ValueOf(Half v) { return HalfToFloat(v); }

template <typename TermT, typename ValueT>
size_t GatherProductsPortable(const float* q, uint32_t limit, const TermT* terms, const ValueT* values, size_t n,
                              float* out) {
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    float w = Weight(q, limit, terms[i]);
    if (w != 0.0f) out[m++] = w * ValueOf(values[i]);
  }
  return m;
}

template <typename TermT>
size_t GatherBm25Portable(const float* q, uint32_t limit, const TermT* terms, const Half* values, size_t n, float norm,
                          float* out) {
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    float w = Weight(q, limit, terms[i]);
    if (w != 0.0f) {
      float tf = HalfToFloat(values[i]);
      out[m++] = w * (tf / (tf + norm));
    }
  }
  return m;
}

template <typename TermT>
float SummaryDotPortable(const float* q, uint32_t limit, const TermT* terms, const uint8_t* codes, size_t n, float min,
                         float scale) {
  float s[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (size_t j = 0; j < 4; j++) s[j] += Weight(q, limit, terms[i + j]) * (min + scale * static_cast<float>(codes[i + j]));
  for (; i < n; i++) s[0] += Weight(q, limit, terms[i]) * (min + scale * static_cast<float>(codes[i]));
  return (s[0] + s[1]) + (s[2] + s[3]);
}

#ifdef SPARROW_X86_SIMD
// Lanes whose (unsigned) term is below limit; the gather reads only those.
__attribute__((target("avx2"))) inline __m256 GatherBelow(const float* q, __m256i idx, __m256i limit) {
  __m256i in = _mm256_cmpeq_epi32(_mm256_min_epu32(idx, limit), idx);        // idx <= limit - 1 ...
  in = _mm256_andnot_si256(_mm256_cmpeq_epi32(idx, limit), in);             // ... and idx != limit
  return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), q, idx, _mm256_castsi256_ps(in), 4);
}

template <typename TermT>
__attribute__((target("avx2"))) inline __m256i LoadTerms(const TermT* terms) {
  if constexpr (sizeof(TermT) == 2)
    return _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(terms)));
  else
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(terms));
}

template <typename ValueT>
__attribute__((target("avx2,f16c"))) inline __m256 LoadValues(const ValueT* values) {
  if constexpr (sizeof(ValueT) == 2)
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(values)));
  else
    return _mm256_loadu_ps(reinterpret_cast<const float*>(values));
}

template <typename TermT, typename ValueT>
__attribute__((target("avx2,bmi,f16c"))) size_t GatherProductsAvx2(const float* q, uint32_t limit, const TermT* terms,
                                                                    const ValueT* values, size_t n, float* out) {
  const __m256i lim = _mm256_set1_epi32(static_cast<int>(limit));
  size_t m = 0, i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 w = GatherBelow(q, LoadTerms(terms + i), lim);
    unsigned nz = static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(w, _mm256_setzero_ps(), _CMP_NEQ_UQ)));
    if (nz == 0) continue;
    alignas(32) float p[8];
    _mm256_store_ps(p, _mm256_mul_ps(w, LoadValues(values + i)));
    for (; nz != 0; nz &= nz - 1) out[m++] = p[__builtin_ctz(nz)];
  }
  return m + GatherProductsPortable(q, limit, terms + i, values + i, n - i, out + m);
}

template <typename TermT>
__attribute__((target("avx2,bmi,f16c"))) size_t GatherBm25Avx2(const float* q, uint32_t limit, const TermT* terms,
                                                                const Half* values, size_t n, float norm, float* out) {
  const __m256i lim = _mm256_set1_epi32(static_cast<int>(limit));
  const __m256 vnorm = _mm256_set1_ps(norm);
  size_t m = 0, i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 w = GatherBelow(q, LoadTerms(terms + i), lim);
    unsigned nz = static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(w, _mm256_setzero_ps(), _CMP_NEQ_UQ)));
    if (nz == 0) continue;
    __m256 tf = LoadValues(values + i);
    alignas(32) float p[8];
    _mm256_store_ps(p, _mm256_mul_ps(w, _mm256_div_ps(tf, _mm256_add_ps(tf, vnorm))));
    for (; nz != 0; nz &= nz - 1) out[m++] = p[__builtin_ctz(nz)];
  }
  return m + GatherBm25Portable(q, limit, terms + i, values + i, n - i, norm, out + m);
}

template <typename TermT>
__attribute__((target("avx2"))) float SummaryDotAvx2(const float* q, uint32_t limit, const TermT* terms,
                                                     const uint8_t* codes, size_t n, float min, float scale) {
  const __m256i lim = _mm256_set1_epi32(static_cast<int>(limit));
  const __m256 vmin = _mm256_set1_ps(min), vscale = _mm256_set1_ps(scale);
  __m256 acc = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 w = GatherBelow(q, LoadTerms(terms + i), lim);
    __m256 c = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes + i))));
    acc = _mm256_add_ps(acc, _mm256_mul_ps(w, _mm256_add_ps(vmin, _mm256_mul_ps(vscale, c))));
  }
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  return _mm_cvtss_f32(h) + SummaryDotPortable(q, limit, terms + i, codes + i, n - i, min, scale);
}
#endif

struct Kernels {
  size_t (*products)(const float*, uint32_t, const uint32_t*, const float*, size_t, float*);
  size_t (*half16)(const float*, uint32_t, const uint16_t*, const Half*, size_t, float*);
  size_t (*half32)(const float*, uint32_t, const uint32_t*, const Half*, size_t, float*);
  float (*summary16)(const float*, uint32_t, const uint16_t*, const uint8_t*, size_t, float, float);
  float (*summary32)(const float*, uint32_t, const uint32_t*, const uint8_t*, size_t, float, float);
  size_t (*bm25_16)(const float*, uint32_t, const uint16_t*, const Half*, size_t, float, float*);
  size_t (*bm25_32)(const float*, uint32_t, const uint32_t*, const Half*, size_t, float, float*);
  const char* name;
};

// SPARROW_SIMD=portable forces the portable loops (tests compare the two versions).
Kernels Pick() {
  const char* force = std::getenv("SPARROW_SIMD");
  bool portable = force != nullptr && std::strcmp(force, "portable") == 0;
#ifdef SPARROW_X86_SIMD
  if (!portable && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("f16c"))
    return {GatherProductsAvx2<uint32_t, float>, GatherProductsAvx2<uint16_t, Half>, GatherProductsAvx2<uint32_t, Half>,
            SummaryDotAvx2<uint16_t>,           SummaryDotAvx2<uint32_t>,          GatherBm25Avx2<uint16_t>,
            GatherBm25Avx2<uint32_t>,           "avx2"};
#endif
  (void)portable;
  return {GatherProductsPortable<uint32_t, float>, GatherProductsPortable<uint16_t, Half>,
          GatherProductsPortable<uint32_t, Half>,  SummaryDotPortable<uint16_t>,
          SummaryDotPortable<uint32_t>,            GatherBm25Portable<uint16_t>,
          GatherBm25Portable<uint32_t>,            "portable"};
}

const Kernels kKernels = Pick();

}  // namespace

size_t GatherProducts(const float* q, uint32_t limit, const uint32_t* terms, const float* values, size_t n, float* out) {
  return kKernels.products(q, limit, terms, values, n, out);
}
size_t GatherProducts(const float* q, uint32_t limit, const uint16_t* terms, const Half* values, size_t n, float* out) {
  return kKernels.half16(q, limit, terms, values, n, out);
}
size_t GatherProducts(const float* q, uint32_t limit, const uint32_t* terms, const Half* values, size_t n, float* out) {
  return kKernels.half32(q, limit, terms, values, n, out);
}
float SummaryDot(const float* q, uint32_t limit, const uint16_t* terms, const uint8_t* codes, size_t n, float min,
                 float scale) {
  return kKernels.summary16(q, limit, terms, codes, n, min, scale);
}
float SummaryDot(const float* q, uint32_t limit, const uint32_t* terms, const uint8_t* codes, size_t n, float min,
                 float scale) {
  return kKernels.summary32(q, limit, terms, codes, n, min, scale);
}
size_t GatherBm25(const float* q, uint32_t limit, const uint16_t* terms, const Half* values, size_t n, float norm,
                  float* out) {
  return kKernels.bm25_16(q, limit, terms, values, n, norm, out);
}
size_t GatherBm25(const float* q, uint32_t limit, const uint32_t* terms, const Half* values, size_t n, float norm,
                  float* out) {
  return kKernels.bm25_32(q, limit, terms, values, n, norm, out);
}
const char* SimdKernelName() { return kKernels.name; }

}  // namespace sparrow
