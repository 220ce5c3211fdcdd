// What the pairing stage tells the statistics stage about each message, with the facts a
// table needs and nothing that has to be formatted.
#pragma once

#include <cstdint>
#include <string_view>

namespace zkdump::session {

enum class SessionChange : std::uint8_t { kEstablished, kReconnected, kExpired, kClosed };

struct MessageFacts {
  std::string_view client;  // IP:PORT
  std::string_view
      type_name;          // as lines name it: GetDataRequest, CreateEphemeralRequest, NodeCreated
  std::string_view path;  // empty when the op has none
  std::int64_t ts_us = 0;
  std::int64_t frame_bytes = 0;  // length prefix included
  void* connection = nullptr;    // what on_connection returned for this message's connection
};

class MessageObserver {
 public:
  virtual ~MessageObserver() = default;
  // Called once per connection, before its messages. The result is the observer's own handle for
  // the connection (or null), handed back in every MessageFacts of it, so that per-client figures
  // need no lookup per message.
  virtual void* on_connection(std::string_view client) = 0;
  // `op` is the name in the protocol's opcode table (getData), or "connect": static text. The
  // result is the observer's own handle for this request (or null), handed back with its reply so
  // that the reply need not look the request's path up again.
  virtual void* on_request(std::string_view op, const MessageFacts& facts) = 0;
  // `op` is empty for a reply to an xid no request was seen for; latency_us is -1 then.
  virtual void on_reply(std::string_view op, std::int32_t err, std::int64_t latency_us,
                        const MessageFacts& facts, void* request_handle) = 0;
  virtual void on_event(std::int32_t type, const MessageFacts& facts) = 0;
  virtual void on_session(SessionChange change) = 0;
  virtual void on_auth(std::string_view scheme) = 0;
  virtual void on_unanswered(std::string_view op) = 0;
};

// What the ZAB decoder tells the statistics stage about broadcasts: the proposals a leader sends
// once a learner is in sync, not those it replays during the sync. `follower` names the learner:
// server.N once its FOLLOWERINFO gave its sid, its IP:PORT before that.
class QuorumObserver {
 public:
  virtual ~QuorumObserver() = default;
  // Once per learner: the same zxid comes from `leader` (IP:PORT) to each of them.
  virtual void on_proposal(std::string_view leader, std::int64_t zxid, std::int64_t ts_us) = 0;
  // Latencies are since the PROPOSAL the ACK or COMMIT names.
  virtual void on_ack(std::string_view follower, std::int64_t latency_us) = 0;
  virtual void on_commit(std::string_view follower, std::int64_t latency_us) = 0;
};

}  // namespace zkdump::session
