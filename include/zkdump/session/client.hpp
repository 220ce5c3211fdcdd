// Pairing for the client protocol: per connection, frames each direction, decodes every frame
// into a typed message, remembers each request by xid so that its reply can be decoded (replies
// carry no opcode) and timed, and hands everything to the sinks, with what never got a reply.
#pragma once

#include <array>
#include <cstdint>
#include <list>
#include <memory>

#include "zkdump/framing/stream.hpp"
#include "zkdump/session/sink.hpp"
#include "zkdump/tcp/reassembly.hpp"
#include "zkdump/zk/protocol.hpp"

namespace zkdump::session {

struct ClientOptions {
  std::int32_t max_frame = zk::kDefaultMaxFrame;
  std::size_t max_pending_per_connection = 16384;
};

struct ClientCounters {
  std::uint64_t requests = 0;
  std::uint64_t replies = 0;
  std::uint64_t events = 0;
  std::uint64_t unknown_replies = 0;
  std::uint64_t unanswered = 0;
  std::uint64_t undecodable_frames = 0;
};

class ClientConversation;

// What every connection's conversation shares.
struct ClientShared {
  ClientOptions options;
  Sinks& sinks;
  framing::Budget& budget;
  ClientCounters counters;
  const ExchangeFilter* filter;                  // null: every message
  std::list<ClientConversation*> conversations;  // every open one, for the timers below
};

// The request that has waited longest for its reply, and its connection (both null: none).
struct OldestPending {
  const Connection* connection = nullptr;
  const Outstanding* request = nullptr;
};

class ClientSessions : public tcp::StreamHandlerFactory {
 public:
  ClientSessions(const ClientOptions& options, Sinks& sinks, framing::Budget& budget,
                 const ExchangeFilter* filter = nullptr)
      : shared_{options, sinks, budget, {}, filter, {}} {}
  std::unique_ptr<tcp::StreamHandler> open(const net::Endpoint& client, const net::Endpoint& server,
                                           bool from_start, std::int64_t ts_us) override;
  const ClientCounters& counters() const { return shared_.counters; }
  // Reports, once each, the requests that have waited `after_us` or more for their reply by
  // `now_us` (Sinks::pending): live, a stalled server shows at once, not when it answers.
  void report_pending(std::int64_t now_us, std::int64_t after_us);
  OldestPending oldest_pending() const;

 private:
  ClientShared shared_;
};

}  // namespace zkdump::session
