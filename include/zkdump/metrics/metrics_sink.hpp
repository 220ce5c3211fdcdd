// Prometheus metrics over the decoded traffic: per ZooKeeper op and etcd method, requests,
// replies by error or gRPC code, bytes and a latency histogram; watch events, sessions, ZAB's
// proposals and per-follower ACK and COMMIT latency, elections, and the capture's health. A
// sink: it counts on the capture's thread and formats only when a scrape asks.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "zkdump/metrics/exposition.hpp"
#include "zkdump/metrics/top_labels.hpp"
#include "zkdump/session/capture_counters.hpp"
#include "zkdump/session/sink.hpp"
#include "zkdump/session/tls_tally.hpp"

namespace zkdump::metrics {

struct MetricsOptions {
  std::size_t top_limit = 10;  // label values per top metric (paths, clients, keys); then "other"
  int aggregation_depth = 0;   // paths folded to their first N components (0: whole paths)
  bool analyses = false;       // the analyses run: their counters are exported, zeros included
};

class MetricsSink final : public session::Sink {
 public:
  explicit MetricsSink(const MetricsOptions& options);

  void open(session::Connection& connection) override;
  void close(session::Connection& connection) override;
  void zk(const session::ZkMessage& message) override;
  void unanswered(const session::Unanswered& unanswered) override;
  void quorum(const session::QuorumMessage& message) override;
  void etcd(const session::EtcdMessage& message) override;
  void problem(const session::StreamProblem& problem) override;
  void tls(const session::TlsEvent& event) override { tls_.count(event); }
  void capture(const session::CaptureProblem& problem) override;
  void write_trace(const session::WriteTrace& trace) override;
  void watch_fanout(const session::WatchFanout& fanout) override;
  void session_finding(const session::SessionFinding& finding) override;
  void size_alert(const session::SizeAlert& alert) override;

  // The whole exposition; `now_us` is the run's clock, which paces the top metrics' windows.
  void write(fmt::memory_buffer& out, const session::CaptureCounters& capture, std::int64_t now_us);

 private:
  struct OpFigures {
    std::uint64_t requests = 0;
    std::uint64_t request_bytes = 0;
    std::uint64_t reply_bytes = 0;
    std::uint64_t unanswered = 0;
    std::map<std::int32_t, std::uint64_t> replies;  // by error code, 0 included
    DurationHistogram duration;
  };
  struct MethodFigures {
    std::uint64_t requests = 0;  // gRPC messages from clients
    std::uint64_t replies = 0;
    std::uint64_t request_bytes = 0;
    std::uint64_t reply_bytes = 0;
    std::map<std::int32_t, std::uint64_t> calls;  // ended, by grpc-status
    DurationHistogram duration;
  };
  struct FollowerFigures {
    std::uint64_t proposals = 0;
    DurationHistogram acks;
    DurationHistogram commits;
  };

  OpFigures& op_figures(const zk::OpInfo* op);
  static std::string_view op_label(std::size_t index);
  void on_zk_request(const session::ZkMessage& message, const zk::Request& request);
  void on_zk_reply(const session::ZkMessage& message, const zk::OpInfo* op, std::int32_t err);
  void on_zab(const session::QuorumMessage& message, const zk::quorum::QuorumPacket& packet);
  void on_election(const zk::quorum::Notification& notification);
  MethodFigures& method_figures(const etcd::Method* method);
  void on_etcd_request(const session::EtcdMessage& message, const session::GrpcRequest& request);
  void on_etcd_reply(const session::EtcdMessage& message, const session::GrpcReply& reply);
  FollowerFigures& follower(std::string_view name);

  void write_tls(Exposition& out) const;
  void write_capture(Exposition& out, const session::CaptureCounters& capture) const;
  void write_zk(Exposition& out);
  void write_zk_ops(Exposition& out) const;
  void write_zab(Exposition& out) const;
  void write_etcd(Exposition& out);
  void write_analyses(Exposition& out) const;
  void write_etcd_methods(Exposition& out) const;
  static void write_top(Exposition& out, const Family& family, const TopLabels& top);

  MetricsOptions options_;
  // ZooKeeper, by the opcode table's index; the last for the connect handshake, then unknown.
  std::vector<OpFigures> ops_;
  std::map<std::string, std::uint64_t, std::less<>> events_;  // by type name
  std::array<std::uint64_t, session::kSessionChangeNames.size()>
      sessions_{};  // by SessionChange, established first
  std::uint64_t unknown_replies_ = 0;
  TopLabels paths_;
  TopLabels clients_;
  // Servers.
  std::map<std::string, FollowerFigures, std::less<>> followers_;
  std::map<std::string, std::uint64_t, std::less<>> zab_packets_;    // by type name
  std::map<std::string, std::uint64_t, std::less<>> notifications_;  // by the sender's state
  std::int64_t election_epoch_ = -1;
  session::EnsembleView ensemble_;  // as the newest quorum message showed it
  std::uint64_t leader_changes_ = 0;
  // etcd.
  std::map<std::string, MethodFigures, std::less<>> methods_;
  std::uint64_t etcd_event_puts_ = 0;
  std::uint64_t etcd_event_deletes_ = 0;
  std::uint64_t watchers_created_ = 0;
  std::uint64_t watchers_canceled_ = 0;
  std::int64_t newest_revision_ = 0;
  BucketHistogram<12> watch_lag_;
  TopLabels etcd_prefixes_;
  TopLabels etcd_clients_;
  // Analyses: each write stage (then the total) by the client's server; findings.
  using StageHistograms = std::array<DurationHistogram, session::kWriteStages + 1>;
  std::map<std::string, StageHistograms, std::less<>> write_stages_;
  std::uint64_t watch_fanouts_ = 0;
  std::uint64_t watch_notifications_ = 0;
  std::uint64_t watch_follow_up_reads_ = 0;
  std::uint64_t watch_storms_ = 0;
  std::uint64_t sessions_at_risk_ = 0;
  std::array<std::uint64_t, session::SessionFinding::kSourceCount>
      session_expiries_{};  // by SessionFinding::Source
  std::uint64_t connection_storms_ = 0;
  std::array<std::uint64_t, session::SizeAlert::kWhatCount> size_alerts_{};  // by SizeAlert::What
  // Capture.
  std::array<std::array<std::uint64_t, framing::kProblemCount>, session::kProtocolCount>
      problems_{};  // by protocol
  std::array<std::array<std::uint64_t, framing::kProblemCount>, session::kProtocolCount>
      problem_bytes_{};
  std::uint64_t truncated_packets_ = 0;
  std::uint64_t connections_open_ = 0;
  session::TlsTally tls_;
};

}  // namespace zkdump::metrics
