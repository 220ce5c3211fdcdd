// What the analyses find by correlating messages across connections and time: where a write spent
// its time, which write fired a burst of watch notifications, sessions at risk of expiry or
// expired, client hosts storming the servers, and messages near jute.maxbuffer. They are typed
// values handed to every sink, as messages are; the analyses know nothing of how they print.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace zkdump::zk {
struct OpInfo;
}

namespace zkdump::session {

struct Connection;

// The stages of a write as the wire shows them, in the order they happen. Each is the time from
// the stage before it that the capture showed (the request, first) to its own event.
enum class WriteStage : std::uint8_t {
  kForward,  // the follower's REQUEST to the leader
  kPropose,  // the leader's first PROPOSAL of it
  kQuorum,   // the ACK that made a majority, the leader counted
  kCommit,   // the COMMIT to the client's server
  kSync,     // a sync: the leader's SYNC to the client's server
  kReply,    // the client's reply
};
inline constexpr std::size_t kWriteStages = 6;
std::string_view write_stage_name(WriteStage stage);  // forward, propose, ...

struct WriteTrace {
  const Connection* connection = nullptr;  // the client's
  const zk::OpInfo* op = nullptr;
  std::string_view path;  // as the request named it (capped)
  std::int64_t session = 0;
  std::int32_t xid = 0;
  std::int64_t zxid = 0;
  std::int32_t err = 0;
  std::int64_t ts_us = 0;     // the reply's
  std::int64_t total_us = 0;  // request to reply, as the client saw it
  std::array<std::int64_t, kWriteStages> stages_us{-1, -1, -1, -1, -1, -1};  // -1: not seen
  bool selected = true;  // by the field filters, as its exchange

  std::int64_t stage(WriteStage which) const { return stages_us[static_cast<std::size_t>(which)]; }
};

// The notifications one write fired (by zxid) and the reads that followed them, once the window
// after its first notification has passed.
struct WatchFanout {
  // The write that fired it, as far as the capture showed it: -1, "" and 0 when unknown.
  std::int64_t zxid = -1;
  std::string_view write_op;
  std::int64_t writer_session = 0;
  std::string_view path;  // the first notification's
  std::int32_t event_type = 0;
  std::int64_t ts_us = 0;  // the first notification
  std::int64_t window_us = 0;
  std::uint32_t notifications = 0;
  std::uint32_t connections = 0;  // that got one
  std::uint32_t reads = 0;        // of a notified path, by a notified connection, in the window
  std::uint32_t threshold = 0;    // --watch-storm
  bool storm() const { return notifications > threshold; }
};

// A session's timeout matters only as long as the server sees nothing from its client.
struct SessionFinding {
  enum class Kind : std::uint8_t {
    kAtRisk,           // silent for more than 2/3 of its timeout, its connection still open
    kExpired,          // a server said so: see `source`
    kConnectionStorm,  // a client host past --connection-storm
    // A silence reported at risk ended: the client sent again, the session expired, or the
    // connection closed; silent_us is its whole length. No line of its own.
    kSilenceEnded,
  };
  enum class Source : std::uint8_t {
    kNone,
    kTxn,      // a closeSession proposal the leader made itself (cxid 0): the expiry
    kRefused,  // a reconnect answered with timeout 0
    kReply,    // a reply with SESSIONEXPIRED
    // The server closed the connection of a client silent past its timeout: how a standalone
    // server's expiry shows, having no ZAB.
    kServerClose,
  };
  static constexpr std::size_t kSourceCount = static_cast<std::size_t>(Source::kServerClose) + 1;
  Kind kind = Kind::kAtRisk;
  Source source = Source::kNone;
  const Connection* connection = nullptr;  // its client connection, when one is open
  std::int64_t ts_us = 0;
  std::int64_t session = 0;
  std::int32_t timeout_ms = 0;           // negotiated; 0 unknown
  std::int64_t silent_us = 0;            // since the client last sent anything
  std::int64_t last_activity_us = -1;    // -1: never seen
  std::string_view client_host;          // kConnectionStorm
  std::uint32_t open_connections = 0;    // kConnectionStorm: from that host, now
  std::uint32_t connects_in_window = 0;  // kConnectionStorm: ConnectRequests in the window
  std::uint32_t threshold = 0;
  std::int64_t window_us = 0;
};
// txn, refused, reply, server_close
std::string_view session_source_name(SessionFinding::Source source);

// A request, reply or proposal whose size passes the alert fraction of jute.maxbuffer.
struct SizeAlert {
  enum class What : std::uint8_t { kRequest, kReply, kTxn };
  static constexpr std::size_t kWhatCount = static_cast<std::size_t>(What::kTxn) + 1;
  What what = What::kRequest;
  const Connection* connection = nullptr;  // the client's, or the ZAB link's
  const zk::OpInfo* op = nullptr;          // requests and replies
  std::string_view txn_type;               // proposals: create, setData, ...
  std::string_view path;
  std::int64_t session = 0;
  std::int64_t zxid = 0;
  std::int64_t ts_us = 0;
  std::int64_t size = 0;   // the frame's or the txn's bytes
  std::int64_t limit = 0;  // jute.maxbuffer
  bool selected = true;    // a request's or reply's, by the field filters
};
std::string_view size_what_name(SizeAlert::What what);  // request, reply, txn

}  // namespace zkdump::session
