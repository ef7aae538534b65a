// Seismic segment build: static pruning, blocking by clustering, quantised summaries, kNN graph.
#pragma once

#include <functional>

#include "common.h"
#include "seismic_types.h"

namespace sparrow {

// Builds the blocked inverted index over the forward rows `docs` (term-sorted, weights >= 0) with
// params.threads threads (the caller is one of them). Deterministic: the same rows and params give
// the same index whatever the number of threads. Polls stop() between lists and throws
// std::runtime_error("build cancelled") when it returns true.
using StopFn = std::function<bool()>;
SeismicData BuildSeismic(const CsrView& docs, const SeismicParams& params, const StopFn& stop = {});

}  // namespace sparrow
