// The analyses a run asked for. They are sinks that correlate messages and hand what they find to
// every sink; they are added after the sinks that consume findings, so that a finding follows the
// message that completed it.
#pragma once

#include <cstdint>
#include <optional>

#include "zkdump/analysis/session_health.hpp"
#include "zkdump/analysis/size_watch.hpp"
#include "zkdump/analysis/watch_tracker.hpp"
#include "zkdump/analysis/write_tracer.hpp"

namespace zkdump::analysis {

struct AnalysisOptions {
  bool trace_writes = false;
  bool trace_without_zab = false;  // --trace-writes itself: trace even with no ZAB in sight
  bool watches = false;
  bool sessions = false;
  bool sizes = false;
  std::uint32_t watch_storm = 20;
  std::uint32_t connection_storm = 60;  // ZooKeeper's own maxClientCnxns default
  SizeLimits limits;

  bool any() const { return trace_writes || watches || sessions || sizes; }
};

class Analyses {
 public:
  Analyses(const AnalysisOptions& options, session::Sinks& sinks);
  Analyses(const Analyses&) = delete;
  Analyses& operator=(const Analyses&) = delete;

 private:
  std::optional<WriteTracer> writes_;
  std::optional<WatchTracker> watches_;
  std::optional<SessionHealth> sessions_;
  std::optional<SizeWatch> sizes_;
};

}  // namespace zkdump::analysis
