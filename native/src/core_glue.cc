// N-API glue for the core module (being written; see the issue).
#include "glue.h"

namespace sparrow {
void InitCore(Napi::Env, Napi::Object) {}
}  // namespace sparrow
