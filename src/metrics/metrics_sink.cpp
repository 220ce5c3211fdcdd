#include "zkdump/metrics/metrics_sink.hpp"

#include "families.hpp"

#include <algorithm>
#include <climits>

#include "zkdump/base/paths.hpp"
#include "zkdump/etcd/messages.hpp"
#include "zkdump/http2/grpc.hpp"
#include "zkdump/session/problems.hpp"

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
  if (const auto* connect = message.as<zk::ConnectRequest>()) {
    if (!connect->decoded.complete) return;
    OpFigures& figures = op_figures(nullptr);
    ++figures.requests;
    figures.request_bytes += static_cast<std::uint64_t>(message.frame_size) + 4;
  } else if (const auto* request = message.as<zk::Request>()) {
    on_zk_request(message, *request);
  } else if (const auto* response = message.as<zk::ConnectResponse>()) {
    if (response->decoded.complete) on_zk_reply(message, nullptr, response->error());
  } else if (const auto* reply = message.as<zk::Reply>()) {
    if (reply->op == nullptr) {
      ++unknown_replies_;
      return;
    }
    on_zk_reply(message, reply->op, reply->error());
  } else if (const auto* event = message.as<zk::WatcherEvent>()) {
    if (!event->decoded.complete) return;
    const std::string_view name = zk::event_type_name(event->type);
    ++bounded_entry(events_, name.empty() ? std::string_view("Unknown") : name, kMaxMethods);
  }
}

void MetricsSink::on_zk_request(const session::ZkMessage& message, const zk::Request& request) {
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
  if (message.ensemble != nullptr &&
      (message.ensemble->leader != ensemble_.leader || message.ensemble->epoch != ensemble_.epoch ||
       message.ensemble->leaders != ensemble_.leaders)) {
    ensemble_ = *message.ensemble;  // copied when it changes only
  }
  if (message.as<session::LeaderChange>() != nullptr) ++leader_changes_;
  if (const auto* vote = message.as<session::ElectionNotification>()) {
    return on_election(vote->notification);
  }
  if (const auto* packet = message.as<zk::quorum::ZabPacket>()) on_zab(message, packet->packet);
}

void MetricsSink::on_election(const zk::quorum::Notification& notification) {
  const std::string_view state = zk::quorum::peer_state_name(notification.state);
  ++bounded_entry(notifications_, state.empty() ? std::string_view("Unknown") : state, kMaxMethods);
  election_epoch_ = std::max(election_epoch_, notification.election_epoch);
}

void MetricsSink::on_zab(const session::QuorumMessage& message,
                         const zk::quorum::QuorumPacket& packet) {
  const std::string_view type = zk::quorum::packet_type_name(packet.type);
  ++bounded_entry(zab_packets_, type.empty() ? std::string_view("Unknown") : type, kMaxMethods);
  if (!message.broadcast) return;  // a sync's replay says nothing of the quorum's pace
  if (packet.type == zk::quorum::kProposal && message.direction == Direction::kToClient) {
    ++follower(message.follower).proposals;
  } else if (message.latency_us >= 0 && packet.type == zk::quorum::kAck &&
             message.direction == Direction::kToServer) {
    follower(message.follower).acks.observe(message.latency_us, kDurationBucketsUs);
  } else if (message.latency_us >= 0 && zk::quorum::is_commit(packet.type) &&
             message.direction == Direction::kToClient) {
    follower(message.follower).commits.observe(message.latency_us, kDurationBucketsUs);
  }
}

MetricsSink::MethodFigures& MetricsSink::method_figures(const etcd::Method* method) {
  return bounded_entry(methods_, method != nullptr ? method->name : kUnknown, kMaxMethods);
}

void MetricsSink::etcd(const session::EtcdMessage& message) {
  if (const auto* request = message.as<session::GrpcRequest>()) {
    return on_etcd_request(message, *request);
  }
  if (const auto* reply = message.as<session::GrpcReply>()) return on_etcd_reply(message, *reply);
  if (const auto* status = message.as<session::GrpcStatus>()) {
    MethodFigures& figures = method_figures(message.method);
    ++figures.calls[grpc_code_key(status->code)];
    if (message.latency_us >= 0) figures.duration.observe(message.latency_us, kDurationBucketsUs);
  }
}

void MetricsSink::on_etcd_request(const session::EtcdMessage& message,
                                  const session::GrpcRequest& request) {
  MethodFigures& figures = method_figures(message.method);
  ++figures.requests;
  figures.request_bytes += request.body.size() + kGrpcPrefixBytes;
  etcd_clients_.add(message.connection->client_host());
  if (message.method == nullptr || message.method->access == etcd::KeyAccess::kNone ||
      request.compressed) {
    return;
  }
  const ByteSpan key = etcd::request_key(request.body);
  etcd_prefixes_.add(prefix_of({reinterpret_cast<const char*>(key.data()), key.size()}));
}

void MetricsSink::on_etcd_reply(const session::EtcdMessage& message,
                                const session::GrpcReply& reply) {
  MethodFigures& figures = method_figures(message.method);
  ++figures.replies;
  figures.reply_bytes += reply.body.size() + kGrpcPrefixBytes;
  if (message.latency_us >= 0) figures.duration.observe(message.latency_us, kDurationBucketsUs);
  if (message.method == nullptr || reply.compressed) return;
  newest_revision_ = std::max(newest_revision_, etcd::response_revision(reply.body));
  if (!etcd::is_watch(message.method)) return;
  const etcd::WatchFacts facts = etcd::watch_facts(reply.body);
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

void MetricsSink::write(fmt::memory_buffer& out, const session::CaptureCounters& capture,
                        std::int64_t now_us) {
  for (TopLabels* top : {&paths_, &clients_, &etcd_prefixes_, &etcd_clients_}) {
    top->rebalance(now_us);
  }
  Exposition exposition(out);
  write_capture(exposition, capture);
  write_tls(exposition);
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
    case session::SessionFinding::Kind::kSilenceEnded:
      break;
  }
}

void MetricsSink::size_alert(const session::SizeAlert& alert) {
  ++size_alerts_[static_cast<std::size_t>(alert.what)];
}

void MetricsSink::write_analyses(Exposition& out) const {
  out.family(families::kWriteStageDurationSeconds);
  for (const auto& [server, stages] : write_stages_) {
    for (std::size_t stage = 0; stage <= session::kWriteStages; ++stage) {
      if (stages[stage].count() == 0) continue;
      const std::string_view name =
          stage == session::kWriteStages
              ? std::string_view("request_to_reply")
              : session::write_stage_name(static_cast<session::WriteStage>(stage));
      out.histogram(families::kWriteStageDurationSeconds, {server, name}, stages[stage],
                    kDurationBucketsUs, kMicrosPerSecond);
    }
  }
  out.single(families::kWatchFanoutsTotal, watch_fanouts_);
  out.single(families::kWatchNotificationsTotal, watch_notifications_);
  out.single(families::kWatchFollowUpReadsTotal, watch_follow_up_reads_);
  out.single(families::kWatchStormsTotal, watch_storms_);
  out.single(families::kSessionsAtRiskTotal, sessions_at_risk_);
  out.family(families::kSessionExpiriesTotal);
  for (const auto source :
       {session::SessionFinding::Source::kTxn, session::SessionFinding::Source::kRefused,
        session::SessionFinding::Source::kReply, session::SessionFinding::Source::kServerClose}) {
    out.sample(families::kSessionExpiriesTotal, {session::session_source_name(source)},
               session_expiries_[static_cast<std::size_t>(source)]);
  }
  out.single(families::kConnectionStormsTotal, connection_storms_);
  out.family(families::kSizeAlertsTotal);
  for (const auto what : {session::SizeAlert::What::kRequest, session::SizeAlert::What::kReply,
                          session::SizeAlert::What::kTxn}) {
    out.sample(families::kSizeAlertsTotal, {session::size_what_name(what)},
               size_alerts_[static_cast<std::size_t>(what)]);
  }
}

// Only once TLS was seen: a capture without it has no TLS series.
void MetricsSink::write_tls(Exposition& out) const {
  if (tls_.sessions == 0) return;
  out.family(families::kTlsConnectionsTotal);
  out.sample(families::kTlsConnectionsTotal, {"decrypted"}, tls_.decrypted);
  for (std::size_t i = 0; i < tls::kFailureKinds; ++i) {
    if (tls_.not_decrypted[i] == 0) continue;
    out.sample(families::kTlsConnectionsTotal, {tls::failure_name(static_cast<tls::Failure>(i))},
               tls_.not_decrypted[i]);
  }
  out.family(families::kTlsBytesTotal);
  out.sample(families::kTlsBytesTotal, {"true"}, tls_.decrypted_bytes);
  out.sample(families::kTlsBytesTotal, {"false"}, tls_.undecrypted_bytes);
  out.family(families::kTlsDecryptionStopsTotal);
  for (std::size_t i = 0; i < tls::kFailureKinds; ++i) {
    if (tls_.stopped[i] == 0) continue;
    out.sample(families::kTlsDecryptionStopsTotal,
               {tls::failure_name(static_cast<tls::Failure>(i))}, tls_.stopped[i]);
  }
}

void MetricsSink::write_capture(Exposition& out, const session::CaptureCounters& capture) const {
  out.single(families::kPacketsTotal, capture.packets);
  out.single(families::kCapturedBytesTotal, capture.bytes);
  out.single(families::kTcpSegmentsTotal, capture.segments);
  out.single(families::kKernelDropsTotal, capture.kernel_drops);
  out.single(families::kInterfaceDropsTotal, capture.interface_drops);
  out.single(families::kTruncatedPacketsTotal, truncated_packets_);
  out.single(families::kTcpGapsTotal, capture.gaps);
  out.single(families::kTcpGapBytesTotal, capture.gap_bytes);
  out.single(families::kTcpBufferDropsTotal, capture.segments_dropped_at_cap);
  out.single(families::kConnectionsOpenedTotal, capture.connections_opened);
  out.single(families::kConnectionsExpiredTotal, capture.connections_expired);
  out.single(families::kConnectionsEvictedTotal, capture.connections_evicted);
  out.single(families::kConnectionsOpen, connections_open_);
  out.family(families::kStreamProblemsTotal);
  for (std::size_t protocol = 0; protocol < problems_.size(); ++protocol) {
    for (std::size_t kind = 0; kind < framing::kProblemCount; ++kind) {
      if (problems_[protocol][kind] == 0) continue;
      out.sample(
          families::kStreamProblemsTotal,
          {protocol_label(protocol), session::problem_name(static_cast<framing::Problem>(kind))},
          problems_[protocol][kind]);
    }
  }
  out.family(families::kUndecodableBytesTotal);
  for (std::size_t protocol = 0; protocol < problems_.size(); ++protocol) {
    if (protocol == static_cast<std::size_t>(session::Protocol::kTls)) continue;  // no framing
    out.sample(families::kUndecodableBytesTotal, {protocol_label(protocol)},
               problem_bytes_[protocol][static_cast<std::size_t>(framing::Problem::kUndecodable)]);
  }
}

void MetricsSink::write_zk(Exposition& out) {
  write_zk_ops(out);
  out.single(families::kUnknownRepliesTotal, unknown_replies_);
  out.family(families::kWatchEventsTotal);
  for (const auto& [type, count] : events_) out.sample(families::kWatchEventsTotal, {type}, count);
  out.family(families::kSessionsTotal);
  for (std::size_t i = 0; i < session::kSessionChangeNames.size(); ++i) {
    out.sample(families::kSessionsTotal, {session::kSessionChangeNames[i]}, sessions_[i]);
  }
  write_top(out, families::kPathRequestsTotal, paths_);
  write_top(out, families::kClientRequestsTotal, clients_);
}

void MetricsSink::write_zk_ops(Exposition& out) const {
  const auto per_op = [&](const Family& family, auto value) {
    out.family(family);
    for (std::size_t i = 0; i < ops_.size(); ++i) {
      if (ops_[i].requests + ops_[i].replies.size() + ops_[i].unanswered == 0) continue;
      out.sample(family, {op_label(i)}, value(ops_[i]));
    }
  };
  per_op(families::kRequestsTotal, [](const OpFigures& f) { return f.requests; });
  per_op(families::kRequestBytesTotal, [](const OpFigures& f) { return f.request_bytes; });
  per_op(families::kReplyBytesTotal, [](const OpFigures& f) { return f.reply_bytes; });
  per_op(families::kUnansweredRequestsTotal, [](const OpFigures& f) { return f.unanswered; });
  out.family(families::kRepliesTotal);
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    for (const auto& [err, count] : ops_[i].replies) {
      out.sample(families::kRepliesTotal, {op_label(i), zk::or_unknown(zk::error_name(err))},
                 count);
    }
  }
  out.family(families::kRequestDurationSeconds);
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    if (ops_[i].duration.count() == 0) continue;
    out.histogram(families::kRequestDurationSeconds, {op_label(i)}, ops_[i].duration,
                  kDurationBucketsUs, kMicrosPerSecond);
  }
}

void MetricsSink::write_zab(Exposition& out) const {
  out.family(families::kZabPacketsTotal);
  for (const auto& [type, count] : zab_packets_) {
    out.sample(families::kZabPacketsTotal, {type}, count);
  }
  out.family(families::kZabProposalsTotal);
  for (const auto& [name, figures] : followers_) {
    out.sample(families::kZabProposalsTotal, {name}, figures.proposals);
  }
  out.family(families::kZabAckDurationSeconds);
  for (const auto& [name, figures] : followers_) {
    out.histogram(families::kZabAckDurationSeconds, {name}, figures.acks, kDurationBucketsUs,
                  kMicrosPerSecond);
  }
  out.family(families::kZabCommitDurationSeconds);
  for (const auto& [name, figures] : followers_) {
    out.histogram(families::kZabCommitDurationSeconds, {name}, figures.commits, kDurationBucketsUs,
                  kMicrosPerSecond);
  }
  out.family(families::kElectionNotificationsTotal);
  for (const auto& [state, count] : notifications_) {
    out.sample(families::kElectionNotificationsTotal, {state}, count);
  }
  if (election_epoch_ >= 0) out.single(families::kElectionEpoch, election_epoch_);
  // From the first ZAB packet of a leader (-1 until its sid is known), or a settled notification.
  if (ensemble_.leader >= 0 || !ensemble_.leader_address.empty()) {
    out.single(families::kElectionLeader, ensemble_.leader);
    out.single(families::kZabLeaderEpoch, ensemble_.epoch);
    out.single(families::kZabLeaderChangesTotal, leader_changes_);
  }
}

void MetricsSink::write_etcd(Exposition& out) {
  write_etcd_methods(out);
  out.family(families::kEtcdWatchEventsTotal);
  out.sample(families::kEtcdWatchEventsTotal, {"PUT"}, etcd_event_puts_);
  out.sample(families::kEtcdWatchEventsTotal, {"DELETE"}, etcd_event_deletes_);
  out.single(families::kEtcdWatchersCreatedTotal, watchers_created_);
  out.single(families::kEtcdWatchersCanceledTotal, watchers_canceled_);
  out.single(families::kEtcdRevision, newest_revision_);
  out.family(families::kEtcdWatchLagRevisions);
  out.histogram(families::kEtcdWatchLagRevisions, {}, watch_lag_, kLagBuckets, 1.0);
  write_top(out, families::kEtcdPrefixRequestsTotal, etcd_prefixes_);
  write_top(out, families::kEtcdClientRequestsTotal, etcd_clients_);
}

void MetricsSink::write_etcd_methods(Exposition& out) const {
  const auto per_method = [&](const Family& family, auto value) {
    out.family(family);
    for (const auto& [method, figures] : methods_) out.sample(family, {method}, value(figures));
  };
  per_method(families::kEtcdRequestsTotal, [](const MethodFigures& f) { return f.requests; });
  per_method(families::kEtcdRepliesTotal, [](const MethodFigures& f) { return f.replies; });
  per_method(families::kEtcdRequestBytesTotal,
             [](const MethodFigures& f) { return f.request_bytes; });
  per_method(families::kEtcdReplyBytesTotal, [](const MethodFigures& f) { return f.reply_bytes; });
  out.family(families::kEtcdCallsTotal);
  for (const auto& [method, figures] : methods_) {
    for (const auto& [code, count] : figures.calls) {
      out.sample(families::kEtcdCallsTotal, {method, grpc_code_label(code)}, count);
    }
  }
  out.family(families::kEtcdRequestDurationSeconds);
  for (const auto& [method, figures] : methods_) {
    if (figures.duration.count() == 0) continue;
    out.histogram(families::kEtcdRequestDurationSeconds, {method}, figures.duration,
                  kDurationBucketsUs, kMicrosPerSecond);
  }
}

void MetricsSink::write_top(Exposition& out, const Family& family, const TopLabels& top) {
  out.family(family);
  top.for_each(
      [&](std::string_view value, std::uint64_t count) { out.sample(family, {value}, count); });
}

}  // namespace zkdump::metrics
