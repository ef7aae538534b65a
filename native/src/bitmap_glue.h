// Registration of the Bitmap JS class (bitmap_glue.cc); BitmapSnapshotArg is in glue_util.h.
#pragma once
#include <napi.h>

namespace sparrow {
void InitBitmap(Napi::Env env, Napi::Object exports);
}  // namespace sparrow
