#include "zkdump/analysis/analyses.hpp"

namespace zkdump::analysis {

Analyses::Analyses(const AnalysisOptions& options, session::Sinks& sinks) {
  if (options.trace_writes) sinks.add(writes_.emplace(sinks, options.trace_without_zab));
  if (options.watches) sinks.add(watches_.emplace(sinks, options.watch_storm));
  if (options.sessions) sinks.add(sessions_.emplace(sinks, options.connection_storm));
  if (options.sizes) sinks.add(sizes_.emplace(sinks, options.limits));
}

}  // namespace zkdump::analysis
