// binary16 <-> float conversions (portable; the SIMD loops convert with F16C where available).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "common.h"

namespace sparrow {

// Branch-free: the exponent and mantissa moved to float's position and rebiased by one exact
// multiplication by 2^112 (a half's subnormals become float normals), infinities and NaNs (their
// exponent all ones) put back; term-at-a-time search converts one value per posting.
inline float HalfToFloat(Half h) {
  uint32_t sign = uint32_t{h.bits & 0x8000u} << 16;
  uint32_t rest = uint32_t{h.bits & 0x7fffu} << 13;
  float f;
  std::memcpy(&f, &rest, sizeof f);
  f *= 0x1p112f;
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  bits = (h.bits & 0x7c00u) == 0x7c00u ? 0x7f800000u | rest : bits;
  bits |= sign;
  float out;
  std::memcpy(&out, &bits, sizeof out);
  return out;
}

// Round to nearest, ties to even; values past the binary16 range become infinity (callers scale
// first: see SegmentValueScale).
inline Half FloatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, sizeof x);
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return Half{static_cast<uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u))};
  if (abs >= 0x477ff000u) return Half{static_cast<uint16_t>(sign | 0x7c00u)};  // rounds past 65504
  if (abs < 0x38800000u) {  // below the smallest normal half (2^-14): a multiple of 2^-24
    float a;
    std::memcpy(&a, &abs, sizeof a);
    return Half{static_cast<uint16_t>(sign | static_cast<uint16_t>(std::nearbyint(a * 0x1p24f)))};
  }
  uint32_t mant = abs & 0x7fffffu;
  uint32_t h = ((abs >> 23) - 112) << 10 | (mant >> 13);
  uint32_t rest = mant & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;  // carries into the exponent correctly
  return Half{static_cast<uint16_t>(sign | h)};
}

// x rounded to binary16's precision (11 significant bits, ties to even, as FloatToHalf rounds; range
// and subnormals aside): what a segment's binary16 weights keep of a float, whatever power-of-two
// scale it applies first (calibration's exact reference, exact_reference.h).
inline float RoundToHalfPrecision(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  uint32_t dropped = bits & 0x1fffu;  // the 13 low mantissa bits binary16 does not keep
  uint32_t kept = bits - dropped;
  if (dropped > 0x1000u || (dropped == 0x1000u && (kept & 0x2000u) != 0)) kept += 0x2000u;
  float out;
  std::memcpy(&out, &kept, sizeof out);
  return out;
}

inline float AsFloat(float v) { return v; }
inline float AsFloat(Half v) { return HalfToFloat(v); }

}  // namespace sparrow
