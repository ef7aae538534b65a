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
  float (*summary16)(const float*, uint32_t, const uint16_t*, const uint8_t*, size_t, float, float);
  float (*summary32)(const float*, uint32_t, const uint32_t*, const uint8_t*, size_t, float, float);
  const char* name;
};

// SPARROW_SIMD=portable forces the portable loops (tests compare the two versions).
Kernels Pick() {
  const char* force = std::getenv("SPARROW_SIMD");
  bool portable = force != nullptr && std::strcmp(force, "portable") == 0;
#ifdef SPARROW_X86_SIMD
  if (!portable && __builtin_cpu_supports("avx2")) return {SummaryDotAvx2<uint16_t>, SummaryDotAvx2<uint32_t>, "avx2"};
#endif
  (void)portable;
  return {SummaryDotPortable<uint16_t>, SummaryDotPortable<uint32_t>, "portable"};
}

const Kernels kKernels = Pick();

}  // namespace

float SummaryDot(const float* q, uint32_t limit, const uint16_t* terms, const uint8_t* codes, size_t n, float min,
                 float scale) {
  return kKernels.summary16(q, limit, terms, codes, n, min, scale);
}
float SummaryDot(const float* q, uint32_t limit, const uint32_t* terms, const uint8_t* codes, size_t n, float min,
                 float scale) {
  return kKernels.summary32(q, limit, terms, codes, n, min, scale);
}
const char* SimdKernelName() { return kKernels.name; }

}  // namespace sparrow
