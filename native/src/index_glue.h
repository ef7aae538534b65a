// JS classes ForwardIndex and InvertedIndex (index_glue.cc). Other glue files may take or return
// a forward index: ForwardIndexArg unwraps one (TypeError naming it; Error when closed),
// WrapForwardIndex hands a native one (e.g. a Seismic segment's own rows) to JS.
#pragma once
#include <napi.h>

#include <memory>
#include <string>

#include "forward_index.h"

namespace sparrow {
void InitIndexes(Napi::Env env, Napi::Object exports);
std::shared_ptr<const ForwardIndex> ForwardIndexArg(Napi::Value v, const std::string& name);
Napi::Object WrapForwardIndex(Napi::Env env, std::shared_ptr<const ForwardIndex> index);
}  // namespace sparrow
