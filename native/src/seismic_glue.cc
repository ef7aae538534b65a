// N-API glue for the seismic module (being written; see the issue).
#include "glue.h"

namespace sparrow {
void InitSeismic(Napi::Env, Napi::Object) {}
}  // namespace sparrow
