// Server-to-server connections: leader election (3888) and atomic broadcast (ZAB, 2888). Frames
// each direction, decodes every message, pairs each COMMIT and ACK with its PROPOSAL and each
// REVALIDATE answer with its question, names the servers, and hands everything to the sinks.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "zkdump/framing/stream.hpp"
#include "zkdump/session/ensemble.hpp"
#include "zkdump/session/sink.hpp"
#include "zkdump/tcp/reassembly.hpp"

namespace zkdump::session {

enum class PortRole : std::uint8_t { kNone, kClient, kElection, kZab, kEtcd };

// Which protocol each server port speaks: named by an option, or learned from the configs the
// servers exchange (election notifications, NEWLEADER), which name every server's ports at once.
class PortMap {
 public:
  void set(std::uint16_t port, PortRole role) { roles_[port] = role; }
  // A port a config named; one an option named keeps its role.
  void learn(std::uint16_t port, PortRole role) {
    if (roles_[port] != PortRole::kNone) return;
    roles_[port] = role;
    learned_[port] = true;
  }
  PortRole role(std::uint16_t port) const { return roles_[port]; }
  bool learned(std::uint16_t port) const { return learned_[port]; }
  bool learn_from_config = false;

 private:
  std::array<PortRole, 65536> roles_{};
  std::bitset<65536> learned_;
};

// What every quorum connection shares: the sinks, the buffer budget, the port roles and the
// servers' sids by election address (host and port), learned from configs and election headers.
struct QuorumShared {
  Sinks& sinks;
  framing::Budget& budget;
  PortMap& ports;
  Ensemble ensemble;
  // Servers' election and quorum addresses, "host:port", each server's sid.
  std::map<std::string, std::int64_t, std::less<>> sid_by_address;
  std::map<std::int64_t, zk::quorum::ServerPorts> learned;  // --omni: each server's, by sid
  std::uint64_t messages = 0;                               // handed to the sinks
  std::uint64_t configs = 0;                                // configs learned, to notice one more

  void deliver(QuorumMessage& message) {
    ++messages;
    message.ensemble = &ensemble.view();
    sinks.quorum(message);
  }
  // A config in force: its voters, its servers' addresses and ports.
  void learn_config(std::string_view config);
  void learn_addresses_and_ports(std::string_view config);
  // An election header's addresses ("host:port", several joined by '|').
  void learn_addresses(std::string_view addresses, std::int64_t sid);
  void learn_address(std::string_view address, std::int64_t sid);
  // The sid listening at an election or quorum address ("10.0.0.2:3888"): never by port alone,
  // as every host of an ensemble may use the same one. -1 when unknown.
  std::int64_t sid_at(std::string_view address) const;
  // The sid of the only server a config places on `host` ("10.0.0.2"); -1 when none or several.
  std::int64_t sid_on_host(std::string_view host) const;
};

class QuorumSessions : public tcp::StreamHandlerFactory {
 public:
  // `ensemble_size`: the voters until a config names them (0: unknown).
  QuorumSessions(Sinks& sinks, framing::Budget& budget, PortMap& ports, std::uint32_t ensemble_size)
      : shared_{sinks, budget, ports, Ensemble(ensemble_size), {}, {}, 0, 0} {}
  std::unique_ptr<tcp::StreamHandler> open(const net::Endpoint& client, const net::Endpoint& server,
                                           bool from_start, std::int64_t ts_us) override;
  // The same, for a family detection found: election or ZAB, whatever the port.
  std::unique_ptr<tcp::StreamHandler> open_as(Protocol protocol, const net::Endpoint& client,
                                              const net::Endpoint& server, bool from_start,
                                              std::int64_t ts_us);
  // What --omni learned from the election's configs: each server's ports, by sid.
  const std::map<std::int64_t, zk::quorum::ServerPorts>& learned() const { return shared_.learned; }
  std::uint64_t messages() const { return shared_.messages; }

 private:
  QuorumShared shared_;
};

}  // namespace zkdump::session
