// The addon's entry point: each glue file registers its classes and functions.
#include "glue.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  sparrow::InitCore(env, exports);
  sparrow::InitSeismic(env, exports);
  sparrow::InitDense(env, exports);
  sparrow::InitSearch(env, exports);
  return exports;
}

NODE_API_MODULE(sparrow_native, Init)
