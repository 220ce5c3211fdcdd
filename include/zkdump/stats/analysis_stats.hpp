// Statistics over what the analyses found: each write stage's percentiles, overall and per server;
// the writes that fired most notifications and follow-up reads, and watch registrations by type
// and path; negotiated session timeouts, sessions at risk and expired; request and reply sizes
// per op and the largest znodes seen, against jute.maxbuffer.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "zkdump/base/heavy_hitters.hpp"
#include "zkdump/session/sink.hpp"
#include "zkdump/stats/collector.hpp"
#include "zkdump/stats/histogram.hpp"
#include "zkdump/stats/report_span.hpp"

namespace zkdump::stats {

// The kinds of watch a client leaves: getData, exists, getChildren, and addWatch's two modes.
enum class WatchKind : std::uint8_t { kData, kExist, kChild, kPersistent, kRecursive };
inline constexpr std::size_t kWatchKinds = 5;

class AnalysisStats final : public session::Sink {
 public:
  AnalysisStats(const StatsOptions& options, std::int64_t jute_maxbuffer);

  void zk(const session::ZkMessage& message) override;
  void write_trace(const session::WriteTrace& trace) override;
  void watch_fanout(const session::WatchFanout& fanout) override;
  void session_finding(const session::SessionFinding& finding) override;
  void size_alert(const session::SizeAlert& alert) override;

  bool empty() const;
  // What --top shows.
  std::uint64_t traced() const { return traces_; }
  // A stage's histogram; kWriteStages: request to reply.
  const LatencyHistogram& stage(std::size_t index) const { return stages_[index]; }
  std::uint64_t watch_storms() const { return storms_; }
  std::uint64_t sessions_at_risk() const { return at_risk_; }
  std::uint64_t session_expiries() const;
  std::uint64_t size_alerts() const;
  void start_interval();
  void write_text(fmt::memory_buffer& out, const ReportSpan& span) const;
  void write_json(fmt::memory_buffer& out, const ReportSpan& span) const;

 private:
  void note_silence(const session::SessionFinding& finding);
  // Each stage, then the total.
  using StageHistograms = std::array<LatencyHistogram, session::kWriteStages + 1>;
  struct WatchedPath {
    std::uint64_t writes = 0;  // that fired notifications here
    std::uint64_t notifications = 0;
    std::uint64_t reads = 0;
    std::uint64_t registrations = 0;
  };
  struct OpSizes {
    LatencyHistogram requests;  // bytes, in the latency histogram's buckets
    LatencyHistogram replies;
  };

  void on_request(const zk::Request& request);
  void on_data(std::string_view path, std::int64_t bytes);
  void register_watch(WatchKind kind, std::string_view path, std::uint64_t count);
  std::string_view folded(std::string_view path) const;
  void write_writes_text(fmt::memory_buffer& out) const;
  void write_watches_text(fmt::memory_buffer& out) const;
  void write_sessions_text(fmt::memory_buffer& out) const;
  void write_sizes_text(fmt::memory_buffer& out) const;
  void write_writes_json(JsonWriter& json) const;
  void write_watches_json(JsonWriter& json) const;
  void write_sessions_json(JsonWriter& json) const;
  void write_sizes_json(JsonWriter& json) const;

  StatsOptions options_;
  std::int64_t jute_maxbuffer_;
  // Write path.
  std::uint64_t traces_ = 0;
  StageHistograms stages_;
  std::map<std::string, std::unique_ptr<StageHistograms>, std::less<>> servers_;
  // Watches.
  std::uint64_t fanouts_ = 0;
  std::uint64_t notifications_ = 0;
  std::uint64_t reads_ = 0;
  std::uint64_t storms_ = 0;
  std::uint32_t largest_fanout_ = 0;
  std::array<std::uint64_t, kWatchKinds> registrations_{};
  std::array<std::uint64_t, kWatchKinds> reregistrations_{};  // setWatches, setWatches2
  // Kept by watch activity: registrations, notifications and follow-up reads together.
  HeavyHitters<WatchedPath> watched_paths_;
  // Sessions.
  LatencyHistogram timeouts_ms_;
  std::uint64_t at_risk_ = 0;
  double worst_silence_ratio_ = 0;  // of an at-risk session's silence to its timeout
  std::array<std::uint64_t, session::SessionFinding::kSourceCount> expiries_{};
  std::uint64_t connection_storms_ = 0;
  // Sizes.
  std::array<std::uint64_t, session::SizeAlert::kWhatCount> size_alerts_{};  // by SizeAlert::What
  std::vector<std::unique_ptr<OpSizes>> op_sizes_;                           // by op index
  struct NoFigures {};
  HeavyHitters<NoFigures> znode_sizes_;  // the largest data seen, by path: exactly the largest
};

}  // namespace zkdump::stats
