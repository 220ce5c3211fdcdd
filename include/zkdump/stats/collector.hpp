// Statistics over the decoded traffic: per-op counts, errors and latency percentiles, the
// hottest paths and clients, sessions, watch events and auth schemes, in bounded memory. A sink:
// it formats nothing until its report is asked for.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "zkdump/base/heavy_hitters.hpp"
#include "zkdump/session/capture_counters.hpp"
#include "zkdump/session/sink.hpp"
#include "zkdump/session/tls_tally.hpp"
#include "zkdump/stats/histogram.hpp"
#include "zkdump/stats/key_ranking.hpp"
#include "zkdump/stats/report_span.hpp"

namespace zkdump::stats {

struct StatsOptions {
  int aggregation_depth = 0;  // fold paths to their first N components (0: whole paths)
  std::size_t limit = 10;     // rows in each "top" table
  // Rows kept per ranking (paths, clients, watched paths, by requests and by bytes): what the
  // "top" tables are chosen from, whatever the number of distinct keys (heavy_hitters.hpp).
  std::size_t key_rows = 4096;
  std::size_t max_auth_schemes = 1000;  // the rest are not counted by scheme
};

using session::CaptureCounters;

class Collector final : public session::Sink {
 public:
  explicit Collector(const StatsOptions& options);

  // A request's path handles and its size.
  std::size_t request_slots_wanted() const override { return 2; }
  void open(session::Connection& connection) override;
  void zk(const session::ZkMessage& message) override;
  void unanswered(const session::Unanswered& unanswered) override;
  void server_discovered(const session::ServerDiscovered& server) override;
  void quorum(const session::QuorumMessage& message) override;
  void tls(const session::TlsEvent& event) override { tls_.count(event); }

  // Starts a new --stats-interval: every figure back to zero. Keys stay (zeroed), so the rows
  // requests still waiting point to remain valid.
  void start_interval();

  void write_text(fmt::memory_buffer& out, const CaptureCounters& totals,
                  const ReportSpan& span) const;
  void write_json(fmt::memory_buffer& out, const CaptureCounters& totals,
                  const ReportSpan& span) const;

  // A server found (by detection or a named port): kept for the whole run, not per interval.
  struct FoundServer {
    std::string endpoint;
    std::string_view protocol;
    std::string_view evidence;
  };
  static constexpr std::size_t kMaxListedServers = 64;
  const std::vector<FoundServer>& servers() const { return servers_; }
  std::uint64_t servers_found() const { return servers_found_; }
  // Who leads and in which epoch, as the newest server-to-server message showed it.
  const session::EnsembleView& ensemble() const { return ensemble_; }

  struct OpStats {
    std::string_view name;
    std::uint64_t requests = 0;
    std::uint64_t bytes = 0;
    std::uint64_t unanswered = 0;
    std::int32_t op_code = 0;
    std::map<std::int32_t, std::uint64_t> errors;  // by error code, replies with err != 0
    LatencyHistogram latency;
    std::uint64_t error_count() const;  // the failures among them (zk::is_failure)
  };
  // The ops seen, by name.
  std::vector<const OpStats*> ops() const;
  const KeyRanking& paths() const { return paths_; }
  const KeyRanking& clients() const { return clients_; }
  std::uint64_t messages() const { return requests_ + replies_ + events_total_; }
  // Seconds between the first and the last message seen.
  double duration_s() const;

 private:
  void on_request(const session::ZkMessage& message, std::size_t op, std::string_view path);
  void on_reply(const session::ZkMessage& message, std::size_t op, std::int32_t err);
  void on_request(const session::ZkMessage& message, const zk::Request& request);
  void on_event(const session::ZkMessage& message, const zk::WatcherEvent& event);
  struct ClientRow;
  struct NoFigures {};
  void count_message(const session::ZkMessage& message);
  void count_request(const session::Connection& connection, std::size_t op,
                     std::uint64_t& path_handles, std::uint64_t bytes, std::string_view path);
  // Counts a request the filters selected at its end; its path handles, as they are now.
  std::uint64_t count_deferred(const session::Connection& connection,
                               const session::Outstanding* request);
  KeyRanking::Handles& client_of(const session::Connection& connection);
  OpStats& op_stats(std::size_t op);
  std::string_view folded_path(std::string_view path) const;
  void note_time(std::int64_t ts_us);
  void write_op_rows_text(fmt::memory_buffer& out, const ReportSpan& span) const;
  void write_top_tables_text(fmt::memory_buffer& out) const;
  void write_counts_text(fmt::memory_buffer& out, const CaptureCounters& totals) const;
  void write_sessions_json(JsonWriter& json) const;
  void write_tls_text(fmt::memory_buffer& out) const;
  void write_tls_json(JsonWriter& json) const;
  void write_key_rows(JsonWriter& json, const KeyRanking& ranking, std::string_view key_name,
                      KeyRanking::Measure measure) const;
  void write_ranking_json(JsonWriter& json, const KeyRanking& ranking,
                          std::string_view key_name) const;
  std::vector<HeavyHitters<NoFigures>::Row> top_event_paths() const;
  static void write_op_json(JsonWriter& json, const OpStats& stats, const ReportSpan& span);

  StatsOptions options_;
  // By the opcode table's index, the last for the connect handshake; created when first seen, as
  // each holds a histogram of 11 KB.
  std::vector<std::unique_ptr<OpStats>> ops_;
  KeyRanking paths_;
  KeyRanking clients_;
  HeavyHitters<NoFigures> event_paths_;  // by watch events
  std::vector<FoundServer> servers_;     // the first kMaxListedServers
  std::uint64_t servers_found_ = 0;
  session::EnsembleView ensemble_;
  std::map<std::string_view, std::uint64_t> events_;  // by event type name
  std::map<std::string, std::uint64_t> auth_schemes_;
  std::array<std::uint64_t, session::kSessionChangeNames.size()> sessions_{};  // by change - 1
  session::TlsTally tls_;
  std::uint64_t requests_ = 0;
  std::uint64_t replies_ = 0;
  std::uint64_t events_total_ = 0;
  std::uint64_t unanswered_ = 0;
  std::int64_t first_ts_us_ = -1;
  std::int64_t last_ts_us_ = -1;
};

}  // namespace zkdump::stats
