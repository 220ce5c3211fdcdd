#include "zkdump/analysis/session_health.hpp"

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>

namespace zkdump::analysis {
namespace {

using session::QuorumMessage;
using session::SessionFinding;
using session::ZkMessage;

constexpr std::size_t kMaxSessions = 262144;
constexpr std::size_t kMaxHosts = 65536;
constexpr std::int64_t kNeverByAge = std::numeric_limits<std::int64_t>::max() / 4;
constexpr std::size_t kNotWatched = static_cast<std::size_t>(-1);

// ZooKeeperServer.close(): the leader expires a session with a closeSession of its own, cxid 0.
bool is_expiry(const zk::quorum::ZabPacket& packet) {
  return packet.data_decoded && packet.txn.type == zk::kOpCloseSession && packet.txn.cxid == 0;
}

}  // namespace

struct SessionHealth::ClientState : session::ConnectionState {
  const session::Connection* connection = nullptr;
  std::int64_t session = 0;
  std::int64_t requested_session = 0;  // the ConnectRequest's: a reconnect's
  std::int32_t timeout_ms = 0;
  std::int64_t last_sent_us = -1;
  std::int64_t server_ended_us = -1;  // when the server sent its FIN or reset
  bool at_risk = false;
  std::size_t watched_index = kNotWatched;

  std::int64_t risk_after_us() const { return std::int64_t{timeout_ms} * 1000 * 2 / 3; }
  std::int64_t at_risk_from_us() const { return last_sent_us + risk_after_us(); }
};

std::size_t SessionHealth::HostKeyHash::operator()(const HostKey& key) const {
  std::uint64_t low = 0;
  std::uint64_t high = 0;
  std::memcpy(&low, key.address.data(), 8);
  std::memcpy(&high, key.address.data() + 8, 8);
  return std::hash<std::uint64_t>()(low * 0x9e3779b97f4a7c15ULL ^ high);
}

SessionHealth::SessionHealth(session::Sinks& sinks, std::uint32_t storm_threshold)
    : sinks_(sinks),
      storm_threshold_(storm_threshold),
      sessions_(kMaxSessions, kNeverByAge),
      hosts_(kMaxHosts, kNeverByAge) {}

SessionHealth::Host& SessionHealth::host_of(const session::Connection& connection,
                                            std::int64_t ts_us) {
  HostKey key;
  std::copy_n(connection.client_endpoint.address.bytes, key.address.size(), key.address.data());
  return hosts_.at(key, ts_us);
}

void SessionHealth::open(session::Connection& connection) {
  if (connection.protocol != session::Protocol::kZooKeeper) return;
  auto state = std::make_unique<ClientState>();
  state->connection = &connection;
  connection.sink_state[state_index_] = std::move(state);
  Host& host = host_of(connection, last_ts_us_);
  if (++host.open > storm_threshold_ && !host.open_reported) {
    host.open_reported = true;
    report_storm(connection, host, last_ts_us_);
  }
}

void SessionHealth::close(session::Connection& connection) {
  if (connection.protocol != session::Protocol::kZooKeeper) return;
  auto& client = connection.state<ClientState>(state_index_);
  if (client.watched_index != kNotWatched) {
    watched_[client.watched_index] = watched_.back();
    watched_[client.watched_index]->watched_index = client.watched_index;
    watched_.pop_back();
  }
  Host& host = host_of(connection, last_ts_us_);
  if (host.open > 0) --host.open;
  if (host.open <= storm_threshold_ / 2) host.open_reported = false;
  connection.sink_state[state_index_].reset();
}

void SessionHealth::closing(session::Connection& connection, tcp::CloseReason /*reason*/,
                            std::int64_t ts_us) {
  if (connection.protocol != session::Protocol::kZooKeeper) return;
  tick(ts_us);
  auto& client = connection.state<ClientState>(state_index_);
  end_silence(client,
              client.server_ended_us >= 0 ? std::min(client.server_ended_us, ts_us) : ts_us);
}

// A standalone server expires a session by closing its connection: nothing else shows it.
void SessionHealth::end_sent(session::Connection& connection, Direction side, std::int64_t ts_us) {
  if (connection.protocol != session::Protocol::kZooKeeper || side != Direction::kToClient) return;
  tick(ts_us);
  auto& client = connection.state<ClientState>(state_index_);
  client.server_ended_us = ts_us;
  if (client.session != 0 && client.timeout_ms > 0 && client.last_sent_us >= 0 &&
      ts_us - client.last_sent_us > std::int64_t{client.timeout_ms} * 1000) {
    report_expiry(SessionFinding::Source::kServerClose, client.session, ts_us, &connection);
  }
  end_silence(client, ts_us);
}

void SessionHealth::zk(const ZkMessage& message) {
  tick(message.ts_us);
  auto& client = message.connection->state<ClientState>(state_index_);
  if (const auto* connect = message.as<zk::ConnectRequest>()) {
    on_connect_request(message, *connect, client);
    on_sent(message, client);
  } else if (const auto* response = message.as<zk::ConnectResponse>()) {
    on_connect_response(message, *response, client);
  } else if (message.as<zk::Request>() != nullptr) {
    on_sent(message, client);
  } else if (const auto* reply = message.as<zk::Reply>()) {
    if (reply->header.err == zk::kErrSessionExpired && client.session != 0) {
      report_expiry(SessionFinding::Source::kReply, client.session, message.ts_us,
                    message.connection);
    }
  }
}

void SessionHealth::on_connect_request(const ZkMessage& message, const zk::ConnectRequest& request,
                                       ClientState& client) {
  client.requested_session = request.session_id;
  Host& host = host_of(*message.connection, message.ts_us);
  if (message.ts_us - host.window_start_us > kStormWindowUs) {
    host.window_start_us = message.ts_us;
    host.connects = 0;
    host.connects_reported = false;
  }
  if (++host.connects > storm_threshold_ && !host.connects_reported) {
    host.connects_reported = true;
    report_storm(*message.connection, host, message.ts_us);
  }
}

void SessionHealth::on_connect_response(const ZkMessage& message,
                                        const zk::ConnectResponse& response, ClientState& client) {
  if (response.expired()) {
    if (client.requested_session != 0) {
      report_expiry(SessionFinding::Source::kRefused, client.requested_session, message.ts_us,
                    message.connection);
    }
    return;
  }
  client.session = response.session_id;
  client.timeout_ms = response.timeout;
  Session& record = sessions_.at(response.session_id, message.ts_us);
  record.timeout_ms = response.timeout;
  record.last_activity_us = std::max(record.last_activity_us, client.last_sent_us);
  if (client.watched_index == kNotWatched) {
    client.watched_index = watched_.size();
    watched_.push_back(&client);
  }
  if (client.last_sent_us >= 0) next_due_us_ = std::min(next_due_us_, client.at_risk_from_us());
}

void SessionHealth::on_sent(const ZkMessage& message, ClientState& client) {
  end_silence(client, message.ts_us);
  client.last_sent_us = message.ts_us;
  if (client.timeout_ms > 0) next_due_us_ = std::min(next_due_us_, client.at_risk_from_us());
  if (client.session == 0) return;
  if (Session* record = sessions_.find(client.session)) record->last_activity_us = message.ts_us;
}

void SessionHealth::quorum(const QuorumMessage& message) {
  tick(message.ts_us);
  const auto* packet = message.as<zk::quorum::ZabPacket>();
  if (packet == nullptr || !message.broadcast || message.direction == Direction::kToServer ||
      packet->packet.type != zk::quorum::kProposal || !is_expiry(*packet)) {
    return;
  }
  const std::int64_t zxid = packet->packet.zxid;
  if (zxid == last_expiry_zxid_) return;  // the same proposal, to the next follower
  last_expiry_zxid_ = zxid;
  const std::int64_t session = packet->txn.session;
  const auto open = std::find_if(watched_.begin(), watched_.end(),
                                 [session](const ClientState* c) { return c->session == session; });
  report_expiry(SessionFinding::Source::kTxn, session, message.ts_us,
                open != watched_.end() ? (*open)->connection : nullptr);
}

// Every client that became at risk by `now_us` is reported, at the moment it did, before the
// caller goes on with anything later: a FIN in a capture must not hide the silence before it.
void SessionHealth::tick(std::int64_t now_us) {
  last_ts_us_ = std::max(last_ts_us_, now_us);
  if (now_us <= next_due_us_) return;
  next_due_us_ = INT64_MAX;
  for (ClientState* client : watched_) {
    if (client->at_risk || client->last_sent_us < 0) continue;
    if (now_us > client->at_risk_from_us()) {
      report_silence(SessionFinding::Kind::kAtRisk, *client, client->at_risk_from_us());
      client->at_risk = true;
    } else {
      next_due_us_ = std::min(next_due_us_, client->at_risk_from_us());
    }
  }
}

// A client's silence as of `ts_us`: at risk from then on, or ended then.
void SessionHealth::report_silence(SessionFinding::Kind kind, const ClientState& client,
                                   std::int64_t ts_us) {
  SessionFinding finding;
  finding.kind = kind;
  finding.connection = client.connection;
  finding.ts_us = ts_us;
  finding.session = client.session;
  finding.timeout_ms = client.timeout_ms;
  finding.silent_us = ts_us - client.last_sent_us;
  finding.last_activity_us = client.last_sent_us;
  sinks_.session_finding(finding);
}

void SessionHealth::end_silence(ClientState& client, std::int64_t ts_us) {
  if (!client.at_risk) return;
  client.at_risk = false;
  report_silence(SessionFinding::Kind::kSilenceEnded, client, ts_us);
}

void SessionHealth::report_expiry(SessionFinding::Source source, std::int64_t session,
                                  std::int64_t ts_us, const session::Connection* connection) {
  SessionFinding finding;
  finding.kind = SessionFinding::Kind::kExpired;
  finding.source = source;
  finding.connection = connection;
  finding.ts_us = ts_us;
  finding.session = session;
  Session& record = sessions_.at(session, ts_us);
  if (record.expiry_reported) return;  // a later sign of the same expiry
  record.expiry_reported = true;
  finding.timeout_ms = record.timeout_ms;
  finding.last_activity_us = record.last_activity_us;
  if (record.last_activity_us >= 0) finding.silent_us = ts_us - record.last_activity_us;
  sinks_.session_finding(finding);
}

void SessionHealth::report_storm(const session::Connection& connection, const Host& host,
                                 std::int64_t ts_us) {
  SessionFinding finding;
  finding.kind = SessionFinding::Kind::kConnectionStorm;
  finding.connection = &connection;
  finding.ts_us = ts_us;
  finding.client_host = connection.client_host();
  finding.open_connections = host.open;
  finding.connects_in_window = host.connects;
  finding.threshold = storm_threshold_;
  finding.window_us = kStormWindowUs;
  sinks_.session_finding(finding);
}

}  // namespace zkdump::analysis
