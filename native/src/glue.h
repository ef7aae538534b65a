// Registration functions of the addon's glue files; addon.cc calls each once at load.
#pragma once
#include <napi.h>

namespace sparrow {
void InitCore(Napi::Env env, Napi::Object exports);     // core_glue.cc: bitmap, forward, exact, inverted, threads
void InitSeismic(Napi::Env env, Napi::Object exports);  // seismic_glue.cc
void InitDense(Napi::Env env, Napi::Object exports);    // dense_glue.cc
void InitSearch(Napi::Env env, Napi::Object exports);   // multi_search_glue.cc: RowBitmap, searchSegments
}  // namespace sparrow
