// Field filters over client exchanges (--path, --op, --session, --client, --errors,
// --slower-than): OR within one kind, AND across kinds. They are decided after pairing, so a
// request and its reply are selected together: what the request alone shows (path, op,
// session, client) at the request; what needs the reply (its error, its latency) at the reply.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zkdump/net/packet.hpp"

namespace zkdump::session {

struct Connection;

enum class Selection : std::uint8_t {
  kYes,
  kNo,
  kAtReply,  // the request passed; its reply decides
};

struct ClientMatch {
  net::Address address;
  std::uint16_t port = 0;  // 0: any
};

struct FilterOptions {
  std::vector<std::string> path_prefixes;
  std::vector<std::string> ops;  // as ZooDefs names them: getData, create, ...
  std::vector<std::int64_t> sessions;
  std::vector<ClientMatch> clients;
  bool errors_only = false;
  std::int64_t slower_than_us = -1;  // -1: no bound
};

class ExchangeFilter {
 public:
  explicit ExchangeFilter(FilterOptions options) : options_(std::move(options)) {}

  bool active() const;
  bool decides_at_reply() const { return options_.errors_only || options_.slower_than_us >= 0; }
  // A request, or a message that stands alone (an event): what it shows itself.
  Selection at_request(const Connection& connection, std::string_view op,
                       std::string_view path) const;
  // A reply to a request selected kAtReply, once the reply updated the connection's session;
  // latency_us < 0 when the request was not seen.
  bool at_reply(const Connection& connection, std::int32_t error, std::int64_t latency_us) const;
  // A request that never got its reply, or still waits: a failure, and slow if it waited long.
  bool waited(std::int64_t waited_us) const;

 private:
  bool matches_request(const Connection& connection, std::string_view op, std::string_view path,
                       bool session_known) const;
  bool matches_session(const Connection& connection) const;
  FilterOptions options_;
};

// "10.0.0.5", "10.0.0.5:41000", "[::1]:41000", "::1"; nothing for anything else.
std::optional<ClientMatch> parse_client_match(std::string_view text);
// "0x1000a2b3c4d0001" or its decimal; nothing for anything else.
std::optional<std::int64_t> parse_session_id(std::string_view text);

}  // namespace zkdump::session
