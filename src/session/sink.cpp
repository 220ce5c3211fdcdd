#include "zkdump/session/sink.hpp"

#include <arpa/inet.h>

#include <fmt/format.h>

namespace zkdump::session {

std::string_view protocol_name(Protocol protocol) {
  switch (protocol) {
    case Protocol::kZooKeeper:
      return "zk";
    case Protocol::kElection:
      return "election";
    case Protocol::kZab:
      return "zab";
    case Protocol::kEtcd:
      return "etcd";
    case Protocol::kTls:
      return "tls";
  }
  return "zk";
}

std::string format_endpoint(const net::Endpoint& endpoint) {
  char address[INET6_ADDRSTRLEN] = {};
  if (endpoint.address.family == 4) {
    inet_ntop(AF_INET, endpoint.address.bytes, address, sizeof address);
    return fmt::format("{}:{}", address, endpoint.port);
  }
  inet_ntop(AF_INET6, endpoint.address.bytes, address, sizeof address);
  return fmt::format("[{}]:{}", address, endpoint.port);
}

Connection make_connection(Protocol protocol, const net::Endpoint& client,
                           const net::Endpoint& server) {
  Connection connection;
  connection.protocol = protocol;
  connection.client_endpoint = client;
  connection.server_endpoint = server;
  connection.client = format_endpoint(client);
  connection.server = format_endpoint(server);
  return connection;
}

bool Sinks::add(Sink& sink) {
  if (sinks_.size() == kMaxSinks) return false;
  if (const std::size_t wanted = sink.request_slots_wanted(); wanted > 0) {
    if (slots_used_ + wanted > kRequestSlots) return false;
    sink.set_request_slot(slots_used_);
    slots_used_ += wanted;
  }
  sink.set_state_index(sinks_.size());
  sinks_.push_back(&sink);
  return true;
}

void Sinks::open(Connection& connection) {
  for (Sink* sink : sinks_) sink->open(connection);
}

void Sinks::end_sent(Connection& connection, Direction side, std::int64_t ts_us) {
  for (Sink* sink : sinks_) sink->end_sent(connection, side, ts_us);
}

void Sinks::closing(Connection& connection, tcp::CloseReason reason, std::int64_t ts_us) {
  for (Sink* sink : sinks_) sink->closing(connection, reason, ts_us);
}

void Sinks::close(Connection& connection) {
  for (Sink* sink : sinks_) sink->close(connection);
}

void Sinks::zk(const ZkMessage& message) {
  for (Sink* sink : sinks_) sink->zk(message);
}

void Sinks::etcd(const EtcdMessage& message) {
  for (Sink* sink : sinks_) sink->etcd(message);
}

void Sinks::tls(const TlsEvent& event) {
  for (Sink* sink : sinks_) sink->tls(event);
}

void Sinks::unanswered(const Unanswered& unanswered) {
  for (Sink* sink : sinks_) sink->unanswered(unanswered);
}

void Sinks::pending(const Pending& pending) {
  for (Sink* sink : sinks_) sink->pending(pending);
}

void Sinks::quorum(const QuorumMessage& message) {
  for (Sink* sink : sinks_) sink->quorum(message);
}

void Sinks::problem(const StreamProblem& problem) {
  for (Sink* sink : sinks_) sink->problem(problem);
}

void Sinks::server_discovered(const ServerDiscovered& server) {
  for (Sink* sink : sinks_) sink->server_discovered(server);
}

void Sinks::capture(const CaptureProblem& problem) {
  for (Sink* sink : sinks_) sink->capture(problem);
}

void Sinks::tick(std::int64_t now_us) {
  for (Sink* sink : sinks_) sink->tick(now_us);
}

void Sinks::finish(std::int64_t ts_us) {
  for (Sink* sink : sinks_) sink->finish(ts_us);
}

void Sinks::write_trace(const WriteTrace& trace) {
  for (Sink* sink : sinks_) sink->write_trace(trace);
}

void Sinks::watch_fanout(const WatchFanout& fanout) {
  for (Sink* sink : sinks_) sink->watch_fanout(fanout);
}

void Sinks::session_finding(const SessionFinding& finding) {
  for (Sink* sink : sinks_) sink->session_finding(finding);
}

void Sinks::size_alert(const SizeAlert& alert) {
  for (Sink* sink : sinks_) sink->size_alert(alert);
}

std::string_view write_stage_name(WriteStage stage) {
  static constexpr std::array<std::string_view, kWriteStages> kNames = {
      "forward", "propose", "quorum", "commit", "sync", "reply"};
  return kNames[static_cast<std::size_t>(stage)];
}

std::string_view session_source_name(SessionFinding::Source source) {
  switch (source) {
    case SessionFinding::Source::kTxn:
      return "txn";
    case SessionFinding::Source::kRefused:
      return "refused";
    case SessionFinding::Source::kReply:
      return "reply";
    case SessionFinding::Source::kServerClose:
      return "server_close";
    case SessionFinding::Source::kNone:
      break;
  }
  return "";
}

std::string_view size_what_name(SizeAlert::What what) {
  switch (what) {
    case SizeAlert::What::kRequest:
      return "request";
    case SizeAlert::What::kReply:
      return "reply";
    case SizeAlert::What::kTxn:
      return "txn";
  }
  return "request";
}

}  // namespace zkdump::session
