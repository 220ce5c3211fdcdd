// Sessions at risk and sessions lost. A session lives as long as its server hears from its client
// within the timeout negotiated at connect; the client pings at a third of it. A client silent for
// more than 2/3 of its timeout while its connection is still open is at risk (a paused JVM, a
// saturated link), reported at the moment it became so, before anything later in the capture;
// when its silence ends, its whole length goes to the sinks. An expiry shows as the leader's
// own closeSession proposal (cxid 0), a reconnect refused with timeout 0, a SESSIONEXPIRED
// reply, or the server closing the connection of a client silent past its timeout; a session
// is reported expired once, at its first sign, with when it was last heard from. Client hosts
// past --connection-storm connections open at once, or connects within 10 s, are reported too.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "zkdump/analysis/aging_table.hpp"
#include "zkdump/session/sink.hpp"

namespace zkdump::analysis {

class SessionHealth final : public session::Sink {
 public:
  static constexpr std::int64_t kStormWindowUs = 10'000'000;

  SessionHealth(session::Sinks& sinks, std::uint32_t storm_threshold);

  void open(session::Connection& connection) override;
  void close(session::Connection& connection) override;
  void closing(session::Connection& connection, tcp::CloseReason reason,
               std::int64_t ts_us) override;
  void end_sent(session::Connection& connection, Direction side, std::int64_t ts_us) override;
  void zk(const session::ZkMessage& message) override;
  void quorum(const session::QuorumMessage& message) override;
  void tick(std::int64_t now_us) override;

 private:
  struct Session {
    std::int32_t timeout_ms = 0;
    std::int64_t last_activity_us = -1;
    bool expiry_reported = false;
  };
  struct HostKey {
    std::array<std::uint8_t, 16> address{};
    bool operator==(const HostKey&) const = default;
  };
  struct HostKeyHash {
    std::size_t operator()(const HostKey& key) const;
  };
  struct Host {
    std::uint32_t open = 0;
    std::uint32_t connects = 0;
    std::int64_t window_start_us = 0;
    bool open_reported = false;
    bool connects_reported = false;
  };
  struct ClientState;

  void on_connect_request(const session::ZkMessage& message, const zk::ConnectRequest& request,
                          ClientState& client);
  void on_connect_response(const session::ZkMessage& message, const zk::ConnectResponse& response,
                           ClientState& client);
  void on_sent(const session::ZkMessage& message, ClientState& client);
  void report_expiry(session::SessionFinding::Source source, std::int64_t session,
                     std::int64_t ts_us, const session::Connection* connection);
  void report_silence(session::SessionFinding::Kind kind, const ClientState& client,
                      std::int64_t ts_us);
  void end_silence(ClientState& client, std::int64_t ts_us);
  void report_storm(const session::Connection& connection, const Host& host, std::int64_t ts_us);
  Host& host_of(const session::Connection& connection, std::int64_t ts_us);

  session::Sinks& sinks_;
  std::uint32_t storm_threshold_;
  AgingTable<std::int64_t, Session> sessions_;
  AgingTable<HostKey, Host, HostKeyHash> hosts_;
  std::vector<ClientState*> watched_;     // open connections with a session and its timeout
  std::int64_t next_due_us_ = INT64_MAX;  // no client is at risk before then
  std::int64_t last_ts_us_ = 0;           // the latest message's: connections open without a time
  std::int64_t last_expiry_zxid_ = 0;
};

}  // namespace zkdump::analysis
