// Protocol detection: which family each TCP connection speaks, found as Zeek's dynamic protocol
// detection and Suricata's probing parsers do. A named port says it at once; so does a server
// found before. Otherwise the connection's first bytes, both directions, are offered to every
// family's recognizer (each in its protocol module) and the connection is bound to the first
// family whose evidence is strong enough (the table in detection.cpp), never re-decoded as
// another. Until then it holds a bounded number of bytes; a connection nothing recognises is
// other TCP, followed but no longer reassembled.
#pragma once

#include <bitset>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "zkdump/net/packet.hpp"
#include "zkdump/session/client.hpp"
#include "zkdump/session/etcd.hpp"
#include "zkdump/session/quorum.hpp"
#include "zkdump/session/sink.hpp"
#include "zkdump/session/tls.hpp"
#include "zkdump/tcp/reassembly.hpp"

namespace zkdump::session {

// Opens a family's handler: the session stage's factories behind one call.
class FamilyOpener {
 public:
  virtual ~FamilyOpener() = default;
  // `tls`: the handler gets plaintext decrypted from TLS.
  virtual std::unique_ptr<tcp::StreamHandler> open(Protocol protocol, const net::Endpoint& client,
                                                   const net::Endpoint& server, bool from_start,
                                                   std::int64_t ts_us, bool tls) = 0;
};

// The session stage's own families: ZooKeeper clients, election and ZAB, etcd.
class SessionFamilies final : public FamilyOpener {
 public:
  SessionFamilies(ClientSessions& clients, QuorumSessions& servers, EtcdSessions& etcd)
      : clients_(clients), servers_(servers), etcd_(etcd) {}
  std::unique_ptr<tcp::StreamHandler> open(Protocol protocol, const net::Endpoint& client,
                                           const net::Endpoint& server, bool from_start,
                                           std::int64_t ts_us, bool tls) override;

 private:
  ClientSessions& clients_;
  QuorumSessions& servers_;
  EtcdSessions& etcd_;
};

struct DetectionCounters {
  std::uint64_t by_port = 0;            // bound by a named port or a server found before
  std::uint64_t by_content = 0;         // bound by what their bytes said (a hint port's included)
  std::uint64_t other = 0;              // recognised by no family: other TCP
  std::uint64_t hold_budget_spent = 0;  // decided early: all undecided connections held too much
};

struct DetectionOptions {
  std::size_t max_servers = 4096;  // a hostile capture cannot make the table grow past this
};

// Where a server was found, by endpoint: what detection and every later connection rely on.
class Detection final : public tcp::StreamHandlerFactory, public tcp::OrientationGuess {
 public:
  Detection(FamilyOpener& opener, const PortMap& ports, Sinks& sinks, TlsSessions& tls,
            const DetectionOptions& options);
  ~Detection() override;
  Detection(const Detection&) = delete;
  Detection& operator=(const Detection&) = delete;

  std::unique_ptr<tcp::StreamHandler> open(const net::Endpoint& client, const net::Endpoint& server,
                                           bool from_start, std::int64_t ts_us) override;
  // The SYN's sender is the client; else a named port's side, a known server, a hint port, or
  // the lower port.
  Direction direction_of(const net::TcpSegment& segment) const override;
  const DetectionCounters& counters() const { return counters_; }

  class Undecided;  // a connection still being recognised

 private:
  struct EndpointHash {
    std::size_t operator()(const net::Endpoint& endpoint) const;
  };
  std::optional<Protocol> known(const net::Endpoint& server) const;
  bool is_server(const net::Endpoint& endpoint) const;
  std::unique_ptr<tcp::StreamHandler> open_by_port(Protocol protocol, const net::Endpoint& client,
                                                   const net::Endpoint& server, bool from_start,
                                                   std::int64_t ts_us);
  std::unique_ptr<tcp::StreamHandler> open_inside_tls(const net::Endpoint& client,
                                                      const net::Endpoint& server,
                                                      std::optional<Protocol> named,
                                                      std::int64_t ts_us);
  void found(const net::Endpoint& server, Protocol protocol, std::string_view evidence, bool named,
             std::int64_t ts_us);

  FamilyOpener& opener_;
  const PortMap& ports_;
  Sinks& sinks_;
  TlsSessions& tls_;
  DetectionOptions options_;
  DetectionCounters counters_;
  std::size_t held_bytes_ = 0;  // by every undecided connection
  std::unordered_map<net::Endpoint, Protocol, EndpointHash> servers_;
  // Ports some known server listens on: most segments' endpoints need no lookup in servers_.
  std::bitset<65536> server_ports_;
};

}  // namespace zkdump::session
