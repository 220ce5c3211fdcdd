// TCP reassembly: per connection and per direction, turns segments in any order, with
// retransmissions and overlaps, into an ordered byte stream plus explicit gaps.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "zkdump/net/packet.hpp"

namespace zkdump::tcp {

using ByteSpan = std::span<const std::uint8_t>;

enum class Side : std::uint8_t { kClientToServer = 0, kServerToClient = 1 };

enum class CloseReason : std::uint8_t { kFin, kReset, kIdle, kEvicted, kReplaced, kCaptureEnd };
const char* close_reason_name(CloseReason reason);

// What the next stage does with one connection's streams.
class StreamHandler {
 public:
  virtual ~StreamHandler() = default;
  virtual void on_data(Side side, ByteSpan bytes, std::int64_t ts_us) = 0;
  virtual void on_gap(Side side, std::uint64_t missing_bytes, std::int64_t ts_us) = 0;
  virtual void on_close(CloseReason reason, std::int64_t ts_us) = 0;
};

class StreamHandlerFactory {
 public:
  virtual ~StreamHandlerFactory() = default;
  // `from_start` is true when the SYN was seen, so the first bytes are the connection's first.
  virtual std::unique_ptr<StreamHandler> open(const net::Endpoint& client,
                                              const net::Endpoint& server, bool from_start,
                                              std::int64_t ts_us) = 0;
};

struct ReassemblyLimits {
  std::size_t max_out_of_order_per_direction = 4u << 20;
  std::size_t max_out_of_order_total = 128u << 20;
  std::size_t max_connections = 65536;
  std::int64_t idle_timeout_us = 300'000'000;
};

struct ReassemblyCounters {
  std::uint64_t segments = 0;
  std::uint64_t payload_bytes[2] = {};  // per Side
  std::uint64_t duplicate_bytes = 0;    // retransmitted or overlapping bytes dropped
  std::uint64_t out_of_order_segments = 0;
  std::uint64_t gaps = 0;
  std::uint64_t gap_bytes = 0;
  std::uint64_t truncated_segments = 0;  // segments the snaplen cut
  std::uint64_t connections_opened = 0;
  std::uint64_t connections_closed = 0;
  std::uint64_t connections_expired = 0;
  std::uint64_t connections_evicted = 0;
  std::uint64_t out_of_order_dropped = 0;  // segments dropped at the out-of-order cap
};

// One direction's byte stream.
class DirectionReassembler {
 public:
  void start_at_syn(std::uint32_t initial_sequence);
  void segment(const net::TcpSegment& segment, Side side, StreamHandler& handler,
               ReassemblyCounters& counters, std::size_t& total_buffered,
               const ReassemblyLimits& limits);
  // The peer acknowledged bytes up to `ack`: anything below it that we never saw is a gap.
  void peer_acknowledged(std::uint32_t ack, Side side, std::int64_t ts_us, StreamHandler& handler,
                         ReassemblyCounters& counters, std::size_t& total_buffered);
  // Delivers what is buffered, reporting the holes in between, before the connection goes.
  void drain(Side side, std::int64_t ts_us, StreamHandler& handler, ReassemblyCounters& counters,
             std::size_t& total_buffered);
  bool finished() const { return fin_seen_ && synced_ && next_seq_ == fin_seq_; }
  bool synced() const { return synced_; }
  std::uint32_t initial_sequence() const { return initial_sequence_; }
  bool started_at_syn() const { return started_at_syn_; }

 private:
  struct HeldSegment {
    std::uint32_t seq;
    std::uint32_t missing;
    std::int64_t ts_us;
    std::vector<std::uint8_t> bytes;
  };
  void deliver(std::uint32_t seq, ByteSpan bytes, std::uint32_t missing, std::int64_t ts_us,
               Side side, StreamHandler& handler, ReassemblyCounters& counters);
  void deliver_held(Side side, StreamHandler& handler, ReassemblyCounters& counters,
                    std::size_t& total_buffered);
  void skip_to(std::uint32_t seq, Side side, std::int64_t ts_us, StreamHandler& handler,
               ReassemblyCounters& counters);

  bool synced_ = false;
  bool started_at_syn_ = false;
  bool fin_seen_ = false;
  std::uint32_t initial_sequence_ = 0;
  std::uint32_t next_seq_ = 0;
  std::uint32_t fin_seq_ = 0;
  std::size_t held_bytes_ = 0;
  std::vector<HeldSegment> held_;  // sorted by sequence relative to next_seq_
};

// Every tracked connection, keyed by its endpoints, with caps and idle expiry.
class ConnectionTable {
 public:
  ConnectionTable(StreamHandlerFactory& factory, const ReassemblyLimits& limits)
      : factory_(factory), limits_(limits) {}
  ~ConnectionTable();
  ConnectionTable(const ConnectionTable&) = delete;
  ConnectionTable& operator=(const ConnectionTable&) = delete;

  // `to_server` tells which endpoint is the server (the caller matched the port list).
  void segment(const net::TcpSegment& segment, bool to_server);
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
  struct Connection {
    Key key;
    DirectionReassembler directions[2];
    std::unique_ptr<StreamHandler> handler;
    std::int64_t last_seen_us = 0;
    Connection* newer = nullptr;  // recency list, oldest first, for expiry and eviction
    Connection* older = nullptr;
  };

  Connection* find(const Key& key);
  Connection* open(const Key& key, bool from_start, std::int64_t ts_us);
  void close(Connection* connection, CloseReason reason, std::int64_t ts_us);
  void touch(Connection* connection);
  void unlink(Connection* connection);

  StreamHandlerFactory& factory_;
  ReassemblyLimits limits_;
  ReassemblyCounters counters_;
  std::size_t total_buffered_ = 0;
  std::unordered_map<Key, std::unique_ptr<Connection>, KeyHash> connections_;
  // Consecutive packets mostly belong to one connection (a request, then its reply): remembering
  // the last one found skips most hash lookups.
  Connection* last_found_ = nullptr;
  Connection* oldest_ = nullptr;
  Connection* newest_ = nullptr;
};

}  // namespace zkdump::tcp
