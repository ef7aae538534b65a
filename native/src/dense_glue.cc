// N-API glue for the dense module (being written; see the issue).
#include "glue.h"

namespace sparrow {
void InitDense(Napi::Env, Napi::Object) {}
}  // namespace sparrow
