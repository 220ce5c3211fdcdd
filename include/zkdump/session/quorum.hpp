// Server-to-server connections: leader election (3888) and atomic broadcast (ZAB, 2888). Frames
// each direction, decodes every message, pairs each COMMIT and ACK with its PROPOSAL and each
// REVALIDATE answer with its question, names the servers, and hands everything to the sinks.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>

#include "zkdump/framing/stream.hpp"
#include "zkdump/session/sink.hpp"
#include "zkdump/tcp/reassembly.hpp"

namespace zkdump::session {

enum class PortRole : std::uint8_t { kNone, kClient, kElection, kZab, kEtcd };

// Which protocol each server port speaks. In omni mode, the ports every election notification's
// config names are learned as they appear.
class PortMap {
 public:
  void set(std::uint16_t port, PortRole role) { roles_[port] = role; }
  PortRole role(std::uint16_t port) const { return roles_[port]; }
  bool learn_from_config = false;

 private:
  std::array<PortRole, 65536> roles_{};
};

// What every quorum connection shares: the sinks, the buffer budget, the port roles and the
// election ports' sids, learned from notification configs.
struct QuorumShared {
  Sinks& sinks;
  framing::Budget& budget;
  PortMap& ports;
  std::map<std::uint16_t, std::int64_t> sid_by_election_port;
  std::map<std::int64_t, zk::quorum::ServerPorts> learned;  // --omni: each server's, by sid
  std::uint64_t messages = 0;                               // handed to the sinks

  void deliver(const QuorumMessage& message) {
    ++messages;
    sinks.quorum(message);
  }
  void learn_config(std::string_view config);
  std::int64_t sid_of_election_port(std::uint16_t port) const;
};

class QuorumSessions : public tcp::StreamHandlerFactory {
 public:
  QuorumSessions(Sinks& sinks, framing::Budget& budget, PortMap& ports)
      : shared_{sinks, budget, ports, {}, {}, 0} {}
  std::unique_ptr<tcp::StreamHandler> open(const net::Endpoint& client, const net::Endpoint& server,
                                           bool from_start, std::int64_t ts_us) override;
  // What --omni learned from the election's configs: each server's ports, by sid.
  const std::map<std::int64_t, zk::quorum::ServerPorts>& learned() const { return shared_.learned; }
  std::uint64_t messages() const { return shared_.messages; }

 private:
  QuorumShared shared_;
};

}  // namespace zkdump::session
