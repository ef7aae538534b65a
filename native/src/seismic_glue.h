// What other glue files need of seismic_glue.cc.
#pragma once

#include <napi.h>

#include <memory>
#include <string>

#include "seismic_segment.h"

namespace sparrow {
// The native segment of a SeismicSegment object (TypeError naming it otherwise, or when closed).
std::shared_ptr<const SeismicSegment> SeismicSegmentArg(Napi::Value v, const std::string& name);
}  // namespace sparrow
