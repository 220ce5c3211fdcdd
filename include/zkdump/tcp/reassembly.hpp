// TCP reassembly: per connection and per direction, turns segments in any order, with
// retransmissions and overlaps, into an ordered byte stream plus explicit gaps.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "zkdump/base/direction.hpp"
#include "zkdump/net/packet.hpp"

namespace zkdump::tcp {

using ByteSpan = std::span<const std::uint8_t>;

enum class CloseReason : std::uint8_t { kFin, kReset, kIdle, kEvicted, kReplaced, kCaptureEnd };
const char* close_reason_name(CloseReason reason);

// What the next stage does with one connection's streams.
class StreamHandler {
 public:
  virtual ~StreamHandler() = default;
  virtual void on_data(Direction side, ByteSpan bytes, std::int64_t ts_us) = 0;
  virtual void on_gap(Direction side, std::uint64_t missing_bytes, std::int64_t ts_us) = 0;
  virtual void on_close(CloseReason reason, std::int64_t ts_us) = 0;
  // One side sent its first FIN or a reset: it sends nothing more (the other side may).
  virtual void on_end_sent(Direction /*side*/, std::int64_t /*ts_us*/) {}
  // False once the connection turned out to speak nothing decoded: the table then stops
  // reassembling it and only follows it to its end.
  virtual bool wants_bytes() const { return true; }
  // A handler that only chose which handler decodes (detection, once it decided) gives that one
  // up: the table then calls it directly and frees the chooser.
  virtual std::unique_ptr<StreamHandler> take_successor() { return nullptr; }
};

class StreamHandlerFactory {
 public:
  virtual ~StreamHandlerFactory() = default;
  // `from_start` is true when the SYN was seen, so the first bytes are the connection's first.
  virtual std::unique_ptr<StreamHandler> open(const net::Endpoint& client,
                                              const net::Endpoint& server, bool from_start,
                                              std::int64_t ts_us) = 0;
};

// Which endpoint of a new connection is the server, where no named port says it.
class OrientationGuess {
 public:
  virtual ~OrientationGuess() = default;
  virtual Direction direction_of(const net::TcpSegment& segment) const = 0;
};

// How long a hole in a direction's stream is waited for before it is declared a gap. Captures
// re-order packets (SPAN ports, taps, -i any on several CPUs, merged captures): an ACK for bytes
// not seen yet is a suspicion, not a loss, until the stream has moved on without them.
struct ReassemblyLimits {
  std::size_t max_out_of_order_per_direction = 4u << 20;
  std::size_t max_out_of_order_total = 128u << 20;
  std::size_t max_connections = 65536;
  std::int64_t idle_timeout_us = 300'000'000;
  // The peer acknowledged the missing bytes, so no retransmission will come: wait this much
  // capture time, or this many more segments of the connection, for the capture's late copy.
  std::int64_t acked_hole_wait_us = 200'000;
  std::uint64_t acked_hole_wait_segments = 256;
  // Nobody acknowledged them yet: a retransmission may still fill the hole.
  std::int64_t unacked_hole_wait_us = 3'000'000;
};

struct ReassemblyCounters {
  std::uint64_t segments = 0;
  std::uint64_t payload_bytes[2] = {};  // per Direction
  std::uint64_t duplicate_bytes = 0;    // retransmitted or overlapping bytes dropped
  std::uint64_t out_of_order_segments = 0;
  std::uint64_t reordered_segments = 0;  // held until the peer's stream caught up with their ACK
  std::uint64_t gaps = 0;
  std::uint64_t gap_bytes = 0;
  std::uint64_t truncated_segments = 0;  // segments the snaplen cut
  std::uint64_t connections_opened = 0;
  std::uint64_t connections_closed = 0;
  std::uint64_t connections_expired = 0;
  std::uint64_t connections_evicted = 0;
  std::uint64_t out_of_order_dropped = 0;  // segments dropped at the out-of-order cap
  std::uint64_t late_after_reset = 0;  // segments the capture recorded after their connection's RST
  // Connections found to speak nothing decoded, and what they carried; the figures above leave
  // them out.
  std::uint64_t ignored_connections = 0;
  std::uint64_t ignored_segments = 0;
  std::uint64_t ignored_bytes = 0;
};

// Every tracked connection, keyed by its endpoints, with caps and idle expiry. Each direction's
// bytes reach the handler in sequence order, and in causal order across directions: a segment
// whose ACK covers peer bytes not delivered yet waits for them, so a reply is never delivered
// before the request it answers, however the capture ordered the two.
class ConnectionTable {
 public:
  ConnectionTable(StreamHandlerFactory& factory, const ReassemblyLimits& limits);
  ~ConnectionTable();
  ConnectionTable(const ConnectionTable&) = delete;
  ConnectionTable& operator=(const ConnectionTable&) = delete;

  // `direction` tells which endpoint is the server (the caller matched the port list).
  void segment(const net::TcpSegment& segment, Direction direction);
  // The same where no port says which endpoint is the server: a tracked connection is found in
  // either orientation; a new one takes `guess`'s, which detection may correct.
  void segment_either_way(const net::TcpSegment& segment, const OrientationGuess& guess);
  // Moves the clock on (capture time, or wall-clock time when live and quiet): holes that waited
  // long enough become gaps, and idle connections are forgotten. Cheap to call per packet.
  void advance(std::int64_t now_us);
  void expire_idle(std::int64_t now_us);
  void close_all(std::int64_t ts_us);
  const ReassemblyCounters& counters() const { return counters_; }
  std::size_t size() const { return connections_.size(); }

 private:
  struct Key {
    net::Endpoint client;
    net::Endpoint server;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& key) const;
  };
  struct Connection;

  Connection* find(const Key& key);
  Connection* open(const Key& key, bool from_start, std::int64_t ts_us);
  void close(Connection* connection, CloseReason reason, std::int64_t ts_us);
  void ignore(Connection* connection);
  void follow_ignored(Connection* connection, const net::TcpSegment& segment, Direction direction);
  void forget(Connection* connection);
  void follow_handler_choice(Connection* connection);
  // Delivers what is ready in both directions and declares holes that waited too long; closes
  // the connection when a deferred reset or both FINs were reached. True when it closed.
  bool settle(Connection* connection);
  void expire_holes();
  void touch(Connection* connection);
  void unlink(Connection* connection);
  void remember_reset(const Connection& connection, std::int64_t ts_us);
  bool late_after_reset(const Key& key, int side, std::uint32_t seq, std::int64_t ts_us) const;

  // Connections a reset ended lately: a peer's last bytes that the capture recorded after the
  // RST (a reset carries no ACK to wait on) belong to them, not to a new connection.
  struct ResetMemory {
    Key key;
    std::array<std::uint32_t, 2> next_seq{};
    std::int64_t ts_us = INT64_MIN;
  };
  static constexpr std::size_t kRememberedResets = 64;
  std::array<ResetMemory, kRememberedResets> recent_resets_{};
  std::size_t next_reset_slot_ = 0;

  StreamHandlerFactory& factory_;
  ReassemblyLimits limits_;
  ReassemblyCounters counters_;
  std::size_t total_buffered_ = 0;
  std::int64_t clock_us_ = INT64_MIN;  // the newest time seen: capture time may step backwards
  std::int64_t next_hole_check_us_ = INT64_MIN;
  std::int64_t next_idle_check_us_ = INT64_MIN;
  std::unordered_map<Key, std::unique_ptr<Connection>, KeyHash> connections_;
  std::vector<Connection*> waiting_;  // connections holding bytes or waiting on a hole
  // Consecutive packets mostly belong to one connection (a request, then its reply): remembering
  // the last one found skips most hash lookups.
  Connection* last_found_ = nullptr;
  Connection* oldest_ = nullptr;
  Connection* newest_ = nullptr;
};

}  // namespace zkdump::tcp
