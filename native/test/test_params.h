// Explicit Seismic build parameters for the native tests: the native side has no defaults (their one
// home is src/config.ts, DEFAULT_SEISMIC); these mirror them, with blocks at every segment size.
#pragma once

#include "seismic_types.h"

inline sparrow::SeismicParams TestParams() {
  sparrow::SeismicParams p{};
  p.n_postings = 4000;
  p.max_fraction = 1.5;
  p.centroid_fraction = 0.1;
  p.summary_energy = 0.6;
  p.summary_cap = 2;
  p.doc_cut = 15;
  p.n_knn = 0;
  p.seed = 42;
  p.pruning_disabled = 0;
  p.threads = 1;
  p.exhaustive_below = 0;
  return p;
}
