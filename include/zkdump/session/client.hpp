// Pairing for the client protocol: per connection, frames each direction, decodes every frame
// into a typed message, remembers each request by xid so that its reply can be decoded (replies
// carry no opcode) and timed, and hands everything to the sinks, with what never got a reply.
#pragma once

#include <array>
#include <cstdint>
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
  std::uint64_t unanswered = 0;  // pings aside: a capture that ends between two is no news
  std::uint64_t undecodable_frames = 0;
  std::array<std::uint64_t, framing::kProblemCount> problems{};

  std::uint64_t problem(framing::Problem which) const {
    return problems[static_cast<std::size_t>(which)];
  }
};

// What every connection's conversation shares.
struct ClientShared {
  ClientOptions options;
  Sinks& sinks;
  framing::Budget& budget;
  ClientCounters counters;
};

class ClientSessions : public tcp::StreamHandlerFactory {
 public:
  ClientSessions(const ClientOptions& options, Sinks& sinks, framing::Budget& budget)
      : shared_{options, sinks, budget, {}} {}
  std::unique_ptr<tcp::StreamHandler> open(const net::Endpoint& client, const net::Endpoint& server,
                                           bool from_start, std::int64_t ts_us) override;
  const ClientCounters& counters() const { return shared_.counters; }

 private:
  ClientShared shared_;
};

}  // namespace zkdump::session
