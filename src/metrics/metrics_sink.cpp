#include "zkdump/metrics/metrics_sink.hpp"

#include <algorithm>
#include <climits>

#include "zkdump/base/paths.hpp"
#include "zkdump/etcd/messages.hpp"
#include "zkdump/http2/grpc.hpp"

namespace zkdump::metrics {
namespace {

// Revisions a watcher's events trail the newest revision any reply showed.
constexpr std::array<std::int64_t, 12> kLagBuckets = {0,   1,    2,     5,      10,      20,
                                                      100, 1000, 10000, 100000, 1000000, 10000000};
constexpr double kMicrosPerSecond = 1e6;
constexpr std::size_t kGrpcPrefixBytes = 5;  // the compressed flag and the length
// Learners reconnect from new ports until their FOLLOWERINFO names them; methods a table does not
// know are bounded too.
constexpr std::size_t kMaxFollowers = 64;
constexpr std::size_t kMaxMethods = 256;
constexpr std::string_view kUnknown = "unknown";

std::string_view protocol_label(std::size_t protocol) {
  return session::protocol_name(static_cast<session::Protocol>(protocol));
}

// A key's prefix: up to its last '/' (/registry/pods/ns/a -> /registry/pods/ns/).
std::string_view prefix_of(std::string_view key) {
  const std::size_t slash = key.rfind('/');
  return slash == std::string_view::npos ? key : key.substr(0, slash + 1);
}

// Codes no table names share one key, so that each label value is one series.
constexpr std::int32_t kUnnamedCode = INT32_MIN;

std::int32_t zk_error_key(std::int32_t err) {
  return zk::is_known_error(err) ? err : kUnnamedCode;
}

std::int32_t grpc_code_key(std::int32_t code) {
  return http2::grpc_status_name(code).empty() ? kUnnamedCode : code;
}

std::string_view grpc_code_label(std::int32_t code) {
  const std::string_view name = http2::grpc_status_name(code);
  return name.empty() ? std::string_view("Unknown") : name;
}

template <typename Map>
typename Map::mapped_type& bounded_entry(Map& map, std::string_view name, std::size_t cap) {
  auto found = map.find(name);
  if (found != map.end()) return found->second;
  if (map.size() >= cap) name = TopLabels::kOther;
  return map.try_emplace(std::string(name)).first->second;
}

}  // namespace

MetricsSink::MetricsSink(const MetricsOptions& options)
    : options_(options),
      ops_(zk::op_count() + 2),
      paths_(options.top_limit),
      clients_(options.top_limit),
      etcd_prefixes_(options.top_limit),
      etcd_clients_(options.top_limit) {}

void MetricsSink::open(session::Connection& /*connection*/) {
  ++connections_open_;
}

void MetricsSink::close(session::Connection& /*connection*/) {
  --connections_open_;
}

// By the opcode table's index; then the connect handshake, then ops the table lacks.
MetricsSink::OpFigures& MetricsSink::op_figures(const zk::OpInfo* op) {
  return ops_[op != nullptr ? zk::op_index(*op) : zk::op_count()];
}

std::string_view MetricsSink::op_label(std::size_t index) {
  if (index < zk::op_count()) return zk::op_at(index).json_name;
  return index == zk::op_count() ? std::string_view("connect") : kUnknown;
}

void MetricsSink::zk(const session::ZkMessage& message) {
  using Kind = session::ZkMessage::Kind;
  switch (message.kind) {
    case Kind::kConnectRequest: {
      if (!message.connect_request->decoded.complete) return;
      OpFigures& figures = op_figures(nullptr);
      ++figures.requests;
      figures.request_bytes += static_cast<std::uint64_t>(message.frame_size) + 4;
      return;
    }
    case Kind::kRequest:
      return on_zk_request(message);
    case Kind::kConnectResponse:
      if (!message.connect_response->decoded.complete) return;
      return on_zk_reply(message, nullptr, message.connect_response->error());
    case Kind::kReply:
      if (message.reply->op == nullptr) {
        ++unknown_replies_;
        return;
      }
      return on_zk_reply(message, message.reply->op, message.reply->error());
    case Kind::kEvent: {
      if (!message.event->decoded.complete) return;
      const std::string_view name = zk::event_type_name(message.event->type);
      ++bounded_entry(events_, name.empty() ? std::string_view("Unknown") : name, kMaxMethods);
      return;
    }
    default:
      return;
  }
}

void MetricsSink::on_zk_request(const session::ZkMessage& message) {
  const zk::Request& request = *message.request;
  OpFigures& figures = request.op != nullptr ? op_figures(request.op) : ops_.back();
  ++figures.requests;
  figures.request_bytes += static_cast<std::uint64_t>(message.frame_size) + 4;
  const std::string_view path = request.facts.path.view();
  if (!path.empty()) paths_.add(fold_path(path, options_.aggregation_depth));
  clients_.add(message.connection->client_host());
}

void MetricsSink::on_zk_reply(const session::ZkMessage& message, const zk::OpInfo* op,
                              std::int32_t err) {
  OpFigures& figures = op_figures(op);
  ++figures.replies[zk_error_key(err)];
  figures.reply_bytes += static_cast<std::uint64_t>(message.frame_size) + 4;
  if (message.latency_us >= 0) figures.duration.observe(message.latency_us, kDurationBucketsUs);
  if (message.session_change != session::SessionChange::kNone) {
    ++sessions_[static_cast<std::size_t>(message.session_change) - 1];
  }
}

void MetricsSink::unanswered(const session::Unanswered& unanswered) {
  ++op_figures(unanswered.request->op).unanswered;
}

MetricsSink::FollowerFigures& MetricsSink::follower(std::string_view name) {
  return bounded_entry(followers_, name, kMaxFollowers);
}

void MetricsSink::quorum(const session::QuorumMessage& message) {
  using Kind = session::QuorumMessage::Kind;
  if (message.kind == Kind::kNotification) return on_election(*message.notification);
  if (message.kind == Kind::kPacket) on_zab(message);
}

void MetricsSink::on_election(const zk::quorum::Notification& notification) {
  const std::string_view state = zk::quorum::peer_state_name(notification.state);
  ++bounded_entry(notifications_, state.empty() ? std::string_view("Unknown") : state, kMaxMethods);
  election_epoch_ = std::max(election_epoch_, notification.election_epoch);
  if (state == "FOLLOWING" || state == "LEADING") leader_ = notification.leader;
}

void MetricsSink::on_zab(const session::QuorumMessage& message) {
  const zk::quorum::QuorumPacket& packet = message.packet->packet;
  const std::string_view type = zk::quorum::packet_type_name(packet.type);
  ++bounded_entry(zab_packets_, type.empty() ? std::string_view("Unknown") : type, kMaxMethods);
  if (!message.broadcast) return;  // a sync's replay says nothing of the quorum's pace
  if (packet.type == zk::quorum::kProposal && !message.from_client) {
    ++follower(message.follower).proposals;
  } else if (message.latency_us >= 0 && packet.type == zk::quorum::kAck && message.from_client) {
    follower(message.follower).acks.observe(message.latency_us, kDurationBucketsUs);
  } else if (message.latency_us >= 0 && packet.type == zk::quorum::kCommit &&
             !message.from_client) {
    follower(message.follower).commits.observe(message.latency_us, kDurationBucketsUs);
  }
}

MetricsSink::MethodFigures& MetricsSink::method_figures(const etcd::Method* method) {
  return bounded_entry(methods_, method != nullptr ? method->name : kUnknown, kMaxMethods);
}

void MetricsSink::etcd(const session::EtcdMessage& message) {
  using Kind = session::EtcdMessage::Kind;
  switch (message.kind) {
    case Kind::kRequest:
      return on_etcd_request(message);
    case Kind::kReply:
      return on_etcd_reply(message);
    case Kind::kStatus: {
      MethodFigures& figures = method_figures(message.method);
      ++figures.calls[grpc_code_key(message.grpc_status)];
      if (message.latency_us >= 0) figures.duration.observe(message.latency_us, kDurationBucketsUs);
      return;
    }
    default:
      return;
  }
}

void MetricsSink::on_etcd_request(const session::EtcdMessage& message) {
  MethodFigures& figures = method_figures(message.method);
  ++figures.requests;
  figures.request_bytes += message.body.size() + kGrpcPrefixBytes;
  etcd_clients_.add(message.connection->client_host());
  if (message.method == nullptr || message.method->access == etcd::KeyAccess::kNone ||
      message.compressed) {
    return;
  }
  const ByteSpan key = etcd::request_key(message.body);
  etcd_prefixes_.add(prefix_of({reinterpret_cast<const char*>(key.data()), key.size()}));
}

void MetricsSink::on_etcd_reply(const session::EtcdMessage& message) {
  MethodFigures& figures = method_figures(message.method);
  ++figures.replies;
  figures.reply_bytes += message.body.size() + kGrpcPrefixBytes;
  if (message.latency_us >= 0) figures.duration.observe(message.latency_us, kDurationBucketsUs);
  if (message.method == nullptr || message.compressed) return;
  newest_revision_ = std::max(newest_revision_, etcd::response_revision(message.body));
  if (!etcd::is_watch(message.method)) return;
  const etcd::WatchFacts facts = etcd::watch_facts(message.body);
  etcd_event_puts_ += facts.puts;
  etcd_event_deletes_ += facts.deletes;
  watchers_created_ += facts.created ? 1 : 0;
  watchers_canceled_ += facts.canceled ? 1 : 0;
  if (facts.puts + facts.deletes > 0) {
    watch_lag_.observe(std::max<std::int64_t>(0, newest_revision_ - facts.revision), kLagBuckets);
  }
}

void MetricsSink::problem(const session::StreamProblem& problem) {
  const auto protocol = static_cast<std::size_t>(problem.connection->protocol);
  const auto kind = static_cast<std::size_t>(problem.problem);
  ++problems_[protocol][kind];
  if (problem.problem == framing::Problem::kUndecodable && problem.count > 0) {
    problem_bytes_[protocol][kind] += static_cast<std::uint64_t>(problem.count);
  }
}

void MetricsSink::capture(const session::CaptureProblem& problem) {
  if (problem.kind == session::CaptureProblem::Kind::kTruncatedPacket) ++truncated_packets_;
}

void MetricsSink::write(fmt::memory_buffer& out, const CaptureHealth& health, std::int64_t now_us) {
  for (TopLabels* top : {&paths_, &clients_, &etcd_prefixes_, &etcd_clients_}) {
    top->rebalance(now_us);
  }
  Exposition exposition(out);
  write_capture(exposition, health);
  write_zk(exposition);
  if (!followers_.empty() || !zab_packets_.empty() || !notifications_.empty()) {
    write_zab(exposition);
  }
  if (!methods_.empty()) write_etcd(exposition);
  if (options_.analyses) write_analyses(exposition);
}

// ---- Analyses ----

void MetricsSink::write_trace(const session::WriteTrace& trace) {
  constexpr std::size_t kMaxServers = 16;
  std::string_view server = trace.connection->server;
  if (write_stages_.size() >= kMaxServers && !write_stages_.contains(server)) server = "other";
  auto& stages = write_stages_.try_emplace(std::string(server)).first->second;
  for (std::size_t stage = 0; stage < session::kWriteStages; ++stage) {
    if (trace.stages_us[stage] >= 0)
      stages[stage].observe(trace.stages_us[stage], kDurationBucketsUs);
  }
  stages[session::kWriteStages].observe(trace.total_us, kDurationBucketsUs);
}

void MetricsSink::watch_fanout(const session::WatchFanout& fanout) {
  ++watch_fanouts_;
  watch_notifications_ += fanout.notifications;
  watch_follow_up_reads_ += fanout.reads;
  if (fanout.storm()) ++watch_storms_;
}

void MetricsSink::session_finding(const session::SessionFinding& finding) {
  switch (finding.kind) {
    case session::SessionFinding::Kind::kAtRisk:
      ++sessions_at_risk_;
      break;
    case session::SessionFinding::Kind::kExpired:
      ++session_expiries_[static_cast<std::size_t>(finding.source)];
      break;
    case session::SessionFinding::Kind::kConnectionStorm:
      ++connection_storms_;
      break;
  }
}

void MetricsSink::size_alert(const session::SizeAlert& alert) {
  ++size_alerts_[static_cast<std::size_t>(alert.what)];
}

void MetricsSink::write_analyses(Exposition& out) const {
  out.family("zkdump_write_stage_duration_seconds", "histogram",
             "Client writes: each stage the capture showed (forward, propose, quorum, commit, "
             "sync, reply; request_to_reply: the whole wait), by the client's server.");
  for (const auto& [server, stages] : write_stages_) {
    for (std::size_t stage = 0; stage <= session::kWriteStages; ++stage) {
      if (stages[stage].count() == 0) continue;
      const std::string_view name =
          stage == session::kWriteStages
              ? std::string_view("request_to_reply")
              : session::write_stage_name(static_cast<session::WriteStage>(stage));
      out.histogram("zkdump_write_stage_duration_seconds", {{"server", server}, {"stage", name}},
                    stages[stage], kDurationBucketsUs, kMicrosPerSecond);
    }
  }
  const auto counter = [&out](std::string_view name, std::string_view help, std::uint64_t value) {
    out.family(name, "counter", help);
    out.sample(name, {}, value);
  };
  counter("zkdump_watch_fanouts_total", "Writes that fired watch notifications.", watch_fanouts_);
  counter("zkdump_watch_notifications_total", "Watch notifications those writes fired.",
          watch_notifications_);
  counter("zkdump_watch_follow_up_reads_total",
          "Reads of a notified path by a notified client within a second.", watch_follow_up_reads_);
  counter("zkdump_watch_storms_total", "Writes that fired more notifications than --watch-storm.",
          watch_storms_);
  counter("zkdump_sessions_at_risk_total",
          "Sessions silent for more than 2/3 of their timeout, their connection open.",
          sessions_at_risk_);
  out.family("zkdump_session_expiries_total", "counter",
             "Session expiries seen, by source: txn (the leader's closeSession), refused (a "
             "reconnect), reply (SESSIONEXPIRED).");
  for (const auto source :
       {session::SessionFinding::Source::kTxn, session::SessionFinding::Source::kRefused,
        session::SessionFinding::Source::kReply}) {
    out.sample("zkdump_session_expiries_total", {{"source", session::session_source_name(source)}},
               session_expiries_[static_cast<std::size_t>(source)]);
  }
  counter("zkdump_connection_storms_total",
          "Client hosts past --connection-storm connections open or connects in 10 s.",
          connection_storms_);
  out.family("zkdump_size_alerts_total", "counter",
             "Requests, replies and txns past the alert fraction of jute.maxbuffer.");
  for (const auto what : {session::SizeAlert::What::kRequest, session::SizeAlert::What::kReply,
                          session::SizeAlert::What::kTxn}) {
    out.sample("zkdump_size_alerts_total", {{"what", session::size_what_name(what)}},
               size_alerts_[static_cast<std::size_t>(what)]);
  }
}

void MetricsSink::write_capture(Exposition& out, const CaptureHealth& health) const {
  const auto counter = [&out](std::string_view name, std::string_view help, std::uint64_t value) {
    out.family(name, "counter", help);
    out.sample(name, {}, value);
  };
  counter("zkdump_packets_total", "Packets read from the capture.", health.packets);
  counter("zkdump_captured_bytes_total", "Bytes of the packets read, as on the wire.",
          health.bytes);
  counter("zkdump_tcp_segments_total", "TCP segments to or from a watched port.", health.segments);
  counter("zkdump_kernel_drops_total", "Packets the kernel dropped before zkdump read them.",
          health.kernel_drops);
  counter("zkdump_interface_drops_total", "Packets the interface dropped.", health.interface_drops);
  counter("zkdump_truncated_packets_total", "Packets the snapshot length cut short.",
          truncated_packets_);
  counter("zkdump_tcp_gaps_total", "Stretches of TCP stream the capture never saw.", health.gaps);
  counter("zkdump_tcp_gap_bytes_total", "Bytes of TCP stream the capture never saw.",
          health.gap_bytes);
  counter("zkdump_tcp_buffer_drops_total",
          "Out-of-order segments dropped at the reassembly buffer cap.",
          health.segments_dropped_at_cap);
  counter("zkdump_connections_opened_total", "TCP connections tracked.", health.connections_opened);
  counter("zkdump_connections_expired_total", "Connections forgotten after the idle timeout.",
          health.connections_expired);
  counter("zkdump_connections_evicted_total", "Connections evicted at the connection cap.",
          health.connections_evicted);
  out.family("zkdump_connections_open", "gauge", "Connections tracked now.");
  out.sample("zkdump_connections_open", {}, connections_open_);
  out.family("zkdump_stream_problems_total", "counter",
             "Gaps, undecodable stretches, bad or oversized lengths, by protocol and problem.");
  for (std::size_t protocol = 0; protocol < problems_.size(); ++protocol) {
    for (std::size_t kind = 0; kind < framing::kProblemCount; ++kind) {
      if (problems_[protocol][kind] == 0) continue;
      out.sample("zkdump_stream_problems_total",
                 {{"proto", protocol_label(protocol)},
                  {"problem", framing::problem_name(static_cast<framing::Problem>(kind))}},
                 problems_[protocol][kind]);
    }
  }
  out.family("zkdump_undecodable_bytes_total", "counter",
             "Bytes skipped looking for the next message, by protocol.");
  for (std::size_t protocol = 0; protocol < problems_.size(); ++protocol) {
    out.sample("zkdump_undecodable_bytes_total", {{"proto", protocol_label(protocol)}},
               problem_bytes_[protocol][static_cast<std::size_t>(framing::Problem::kUndecodable)]);
  }
}

void MetricsSink::write_zk(Exposition& out) {
  write_zk_ops(out);
  out.family("zkdump_unknown_replies_total", "counter",
             "ZooKeeper replies to an xid no captured request had.");
  out.sample("zkdump_unknown_replies_total", {}, unknown_replies_);
  out.family("zkdump_watch_events_total", "counter", "ZooKeeper watch notifications, by type.");
  for (const auto& [type, count] : events_)
    out.sample("zkdump_watch_events_total", {{"type", type}}, count);
  out.family("zkdump_sessions_total", "counter",
             "ZooKeeper sessions established, reconnected, expired and closed.");
  constexpr std::array<std::string_view, 4> kChanges = {"established", "reconnected", "expired",
                                                        "closed"};
  for (std::size_t i = 0; i < kChanges.size(); ++i) {
    out.sample("zkdump_sessions_total", {{"change", kChanges[i]}}, sessions_[i]);
  }
  write_top(out, "zkdump_path_requests_total", "path",
            "ZooKeeper requests by path (folded by --aggregation-depth): the busiest paths, the "
            "rest as other.",
            paths_);
  write_top(out, "zkdump_client_requests_total", "client",
            "ZooKeeper requests by client host: the busiest, the rest as other.", clients_);
}

void MetricsSink::write_zk_ops(Exposition& out) const {
  const auto per_op = [&](std::string_view name, std::string_view help, auto value) {
    out.family(name, "counter", help);
    for (std::size_t i = 0; i < ops_.size(); ++i) {
      if (ops_[i].requests + ops_[i].replies.size() + ops_[i].unanswered == 0) continue;
      out.sample(name, {{"op", op_label(i)}}, value(ops_[i]));
    }
  };
  per_op("zkdump_requests_total", "ZooKeeper requests, by op.",
         [](const OpFigures& f) { return f.requests; });
  per_op("zkdump_request_bytes_total", "Bytes of ZooKeeper requests, length prefix included.",
         [](const OpFigures& f) { return f.request_bytes; });
  per_op("zkdump_reply_bytes_total", "Bytes of ZooKeeper replies, length prefix included.",
         [](const OpFigures& f) { return f.reply_bytes; });
  per_op("zkdump_unanswered_requests_total",
         "ZooKeeper requests whose connection ended or was forgotten before their reply.",
         [](const OpFigures& f) { return f.unanswered; });
  out.family("zkdump_replies_total", "counter", "ZooKeeper replies, by op and error (OK: none).");
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    for (const auto& [err, count] : ops_[i].replies) {
      out.sample("zkdump_replies_total",
                 {{"op", op_label(i)}, {"err", zk::or_unknown(zk::error_name(err))}}, count);
    }
  }
  out.family("zkdump_request_duration_seconds", "histogram",
             "ZooKeeper request to reply, as the capture saw them, by op.");
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    if (ops_[i].duration.count() == 0) continue;
    out.histogram("zkdump_request_duration_seconds", {{"op", op_label(i)}}, ops_[i].duration,
                  kDurationBucketsUs, kMicrosPerSecond);
  }
}

void MetricsSink::write_zab(Exposition& out) const {
  out.family("zkdump_zab_packets_total", "counter",
             "ZAB packets between leader and learners, by type.");
  for (const auto& [type, count] : zab_packets_)
    out.sample("zkdump_zab_packets_total", {{"type", type}}, count);
  out.family("zkdump_zab_proposals_total", "counter",
             "PROPOSALs the leader broadcast to each follower in sync.");
  for (const auto& [name, figures] : followers_) {
    out.sample("zkdump_zab_proposals_total", {{"follower", name}}, figures.proposals);
  }
  out.family("zkdump_zab_ack_duration_seconds", "histogram",
             "PROPOSAL to the follower's ACK, by follower.");
  for (const auto& [name, figures] : followers_) {
    out.histogram("zkdump_zab_ack_duration_seconds", {{"follower", name}}, figures.acks,
                  kDurationBucketsUs, kMicrosPerSecond);
  }
  out.family("zkdump_zab_commit_duration_seconds", "histogram",
             "PROPOSAL to the leader's COMMIT to the follower, by follower.");
  for (const auto& [name, figures] : followers_) {
    out.histogram("zkdump_zab_commit_duration_seconds", {{"follower", name}}, figures.commits,
                  kDurationBucketsUs, kMicrosPerSecond);
  }
  out.family("zkdump_election_notifications_total", "counter",
             "Leader election notifications, by the sender's state.");
  for (const auto& [state, count] : notifications_) {
    out.sample("zkdump_election_notifications_total", {{"state", state}}, count);
  }
  if (election_epoch_ >= 0) {
    out.family("zkdump_election_epoch", "gauge",
               "The newest election epoch a notification carried; a change is an election.");
    out.sample("zkdump_election_epoch", {}, election_epoch_);
  }
  if (leader_ >= 0) {
    out.family("zkdump_election_leader", "gauge",
               "The server id of the leader the last settled notification named.");
    out.sample("zkdump_election_leader", {}, leader_);
  }
}

void MetricsSink::write_etcd(Exposition& out) {
  write_etcd_methods(out);
  out.family("zkdump_etcd_watch_events_total", "counter", "etcd watch events, by type.");
  out.sample("zkdump_etcd_watch_events_total", {{"type", "PUT"}}, etcd_event_puts_);
  out.sample("zkdump_etcd_watch_events_total", {{"type", "DELETE"}}, etcd_event_deletes_);
  out.family("zkdump_etcd_watchers_created_total", "counter", "etcd watchers the server created.");
  out.sample("zkdump_etcd_watchers_created_total", {}, watchers_created_);
  out.family("zkdump_etcd_watchers_canceled_total", "counter", "etcd watchers canceled.");
  out.sample("zkdump_etcd_watchers_canceled_total", {}, watchers_canceled_);
  out.family("zkdump_etcd_revision", "gauge", "The newest store revision an etcd reply showed.");
  out.sample("zkdump_etcd_revision", {}, newest_revision_);
  out.family("zkdump_etcd_watch_lag_revisions", "histogram",
             "Revisions a watch reply's events trailed the newest revision seen.");
  out.histogram("zkdump_etcd_watch_lag_revisions", {}, watch_lag_, kLagBuckets, 1.0);
  write_top(out, "zkdump_etcd_prefix_requests_total", "prefix",
            "etcd requests naming a key, by the key's prefix: the busiest, the rest as other.",
            etcd_prefixes_);
  write_top(out, "zkdump_etcd_client_requests_total", "client",
            "etcd requests by client host: the busiest, the rest as other.", etcd_clients_);
}

void MetricsSink::write_etcd_methods(Exposition& out) const {
  const auto per_method = [&](std::string_view name, std::string_view help, auto value) {
    out.family(name, "counter", help);
    for (const auto& [method, figures] : methods_) {
      out.sample(name, {{"method", method}}, value(figures));
    }
  };
  per_method("zkdump_etcd_requests_total", "gRPC messages from etcd clients, by method.",
             [](const MethodFigures& f) { return f.requests; });
  per_method("zkdump_etcd_replies_total", "gRPC messages from etcd servers, by method.",
             [](const MethodFigures& f) { return f.replies; });
  per_method("zkdump_etcd_request_bytes_total", "Bytes of etcd requests, gRPC prefix included.",
             [](const MethodFigures& f) { return f.request_bytes; });
  per_method("zkdump_etcd_reply_bytes_total", "Bytes of etcd replies, gRPC prefix included.",
             [](const MethodFigures& f) { return f.reply_bytes; });
  out.family("zkdump_etcd_calls_total", "counter", "etcd calls ended, by method and gRPC status.");
  for (const auto& [method, figures] : methods_) {
    for (const auto& [code, count] : figures.calls) {
      out.sample("zkdump_etcd_calls_total",
                 {{"method", method}, {"grpc_code", grpc_code_label(code)}}, count);
    }
  }
  out.family("zkdump_etcd_request_duration_seconds", "histogram",
             "etcd call's first request to its first answer, by method.");
  for (const auto& [method, figures] : methods_) {
    if (figures.duration.count() == 0) continue;
    out.histogram("zkdump_etcd_request_duration_seconds", {{"method", method}}, figures.duration,
                  kDurationBucketsUs, kMicrosPerSecond);
  }
}

void MetricsSink::write_top(Exposition& out, std::string_view name, std::string_view label,
                            std::string_view help, const TopLabels& top) {
  out.family(name, "counter", help);
  top.for_each([&](std::string_view value, std::uint64_t count) {
    out.sample(name, {{label, value}}, count);
  });
}

}  // namespace zkdump::metrics
