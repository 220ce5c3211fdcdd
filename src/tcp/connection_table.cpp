#include <algorithm>
#include <array>
#include <cstring>
#include <functional>

#include "direction.hpp"
#include "zkdump/tcp/reassembly.hpp"

namespace zkdump::tcp {
namespace {

// How often, in capture time, waiting holes and idle connections are looked at.
constexpr std::int64_t kHoleCheckInterval_us = 50'000;
constexpr std::int64_t kIdleCheckInterval_us = 1'000'000;

}  // namespace

struct ConnectionTable::Connection {
  Key key;
  DirectionReassembler directions[2] = {DirectionReassembler(Direction::kToServer),
                                        DirectionReassembler(Direction::kToClient)};
  std::unique_ptr<StreamHandler> handler;
  std::int64_t last_seen_us = 0;  // the newest capture time of its segments, for idle expiry
  std::uint64_t segments = 0;
  std::array<std::uint64_t, 2> bytes{};  // per Direction
  bool waiting = false;                  // listed in waiting_
  bool ignored = false;                  // speaks nothing decoded: followed, not reassembled
  std::uint8_t fins = 0;                 // bit per Direction, once ignored
  Connection* newer = nullptr;           // recency list, oldest first, for expiry and eviction
  Connection* older = nullptr;
};

std::size_t ConnectionTable::KeyHash::operator()(const Key& key) const {
  // Multiply and shift over 8-byte words (unused address bytes are zero): a handful of cycles per
  // packet, where a byte-wise hash took dozens.
  std::uint64_t words[4];
  std::memcpy(words, key.client.address.bytes, 16);
  std::memcpy(words + 2, key.server.address.bytes, 16);
  std::uint64_t hash = (std::uint64_t{key.client.port} << 24 | std::uint64_t{key.server.port} << 8 |
                        key.client.address.family);
  for (const std::uint64_t word : words) {
    hash = (hash ^ word) * 0x9e3779b97f4a7c15ull;
    hash ^= hash >> 29;
  }
  return static_cast<std::size_t>(hash);
}

ConnectionTable::ConnectionTable(StreamHandlerFactory& factory, const ReassemblyLimits& limits)
    : factory_(factory), limits_(limits) {}

ConnectionTable::~ConnectionTable() = default;

void ConnectionTable::unlink(Connection* connection) {
  (connection->older != nullptr ? connection->older->newer : oldest_) = connection->newer;
  (connection->newer != nullptr ? connection->newer->older : newest_) = connection->older;
  connection->older = connection->newer = nullptr;
}

void ConnectionTable::touch(Connection* connection) {
  if (newest_ == connection) return;
  unlink(connection);
  connection->older = newest_;
  if (newest_ != nullptr) newest_->newer = connection;
  newest_ = connection;
  if (oldest_ == nullptr) oldest_ = connection;
}

ConnectionTable::Connection* ConnectionTable::open(const Key& key, bool from_start,
                                                   std::int64_t ts_us) {
  while (connections_.size() >= limits_.max_connections && oldest_ != nullptr) {
    ++counters_.connections_evicted;
    close(oldest_, CloseReason::kEvicted, ts_us);
  }
  auto connection = std::make_unique<Connection>();
  connection->key = key;
  connection->handler = factory_.open(key.client, key.server, from_start, ts_us);
  connection->last_seen_us = ts_us;
  Connection* raw = connection.get();
  connections_.emplace(key, std::move(connection));
  ++counters_.connections_opened;
  raw->older = newest_;
  if (newest_ != nullptr) newest_->newer = raw;
  newest_ = raw;
  if (oldest_ == nullptr) oldest_ = raw;
  return raw;
}

void ConnectionTable::close(Connection* connection, CloseReason reason, std::int64_t ts_us) {
  if (connection->ignored) return forget(connection);
  // What still waits is delivered in causal order where it can be, holes given up one at a time.
  DeliveryContext context{*connection->handler,       counters_,           total_buffered_, limits_,
                          std::max(clock_us_, ts_us), connection->segments};
  DirectionReassembler& client = connection->directions[0];
  DirectionReassembler& server = connection->directions[1];
  // A reset seen ends it as a reset, whatever closed it while the reset waited.
  if (reason != CloseReason::kReset && (client.reset_pending() || server.reset_pending())) {
    reason = CloseReason::kReset;
    ts_us = client.reset_pending() ? client.end_ts_us() : server.end_ts_us();
  }
  client.stop_settling_start();
  server.stop_settling_start();
  for (;;) {
    const bool client_moved = client.deliver_ready(server, context);
    const bool server_moved = server.deliver_ready(client, context);
    if (!client_moved && !server_moved && !client.give_up_one(context) &&
        !server.give_up_one(context)) {
      break;
    }
  }
  client.finish(context);
  server.finish(context);
  // Late segments are looked for from when it closed, which a deferred reset puts after the RST.
  if (reason == CloseReason::kReset) remember_reset(*connection, std::max(clock_us_, ts_us));
  connection->handler->on_close(reason, ts_us);
  ++counters_.connections_closed;
  forget(connection);
}

void ConnectionTable::forget(Connection* connection) {
  unlink(connection);
  if (last_found_ == connection) last_found_ = nullptr;
  if (connection->waiting) std::erase(waiting_, connection);
  const Key key = connection->key;
  connections_.erase(key);
}

// Its figures move from the decoded connections' to the ignored ones'.
void ConnectionTable::ignore(Connection* connection) {
  DeliveryContext context{*connection->handler, counters_, total_buffered_, limits_, clock_us_,
                          connection->segments};
  for (DirectionReassembler& direction : connection->directions) direction.discard(context);
  connection->ignored = true;
  if (connection->waiting) std::erase(waiting_, connection);
  connection->waiting = false;
  --counters_.connections_opened;
  ++counters_.ignored_connections;
  counters_.segments -= connection->segments;
  counters_.ignored_segments += connection->segments;
  for (int side = 0; side < 2; ++side) {
    counters_.payload_bytes[side] -= connection->bytes[static_cast<std::size_t>(side)];
    counters_.ignored_bytes += connection->bytes[static_cast<std::size_t>(side)];
  }
}

void ConnectionTable::follow_ignored(Connection* connection, const net::TcpSegment& segment,
                                     Direction direction) {
  touch(connection);
  connection->last_seen_us = std::max(connection->last_seen_us, segment.ts_us);
  ++counters_.ignored_segments;
  counters_.ignored_bytes += segment.payload.size();
  if ((segment.flags & net::kTcpFin) != 0)
    connection->fins |= direction == Direction::kToServer ? 1 : 2;
  if ((segment.flags & net::kTcpRst) != 0 || connection->fins == 3) forget(connection);
}

// The guess first: once a server is known it is right, and costs one lookup instead of a miss.
void ConnectionTable::segment_either_way(const net::TcpSegment& segment,
                                         const OrientationGuess& guess) {
  const Direction guessed = guess.direction_of(segment);
  const auto key_for = [&segment](Direction direction) {
    return direction == Direction::kToServer ? Key{segment.source, segment.destination}
                                             : Key{segment.destination, segment.source};
  };
  if (find(key_for(guessed)) == nullptr && find(key_for(opposite(guessed))) != nullptr) {
    return this->segment(segment, opposite(guessed));
  }
  this->segment(segment, guessed);
}

ConnectionTable::Connection* ConnectionTable::find(const Key& key) {
  if (last_found_ != nullptr && last_found_->key == key) return last_found_;
  const auto found = connections_.find(key);
  if (found == connections_.end()) return nullptr;
  last_found_ = found->second.get();
  return last_found_;
}

bool ConnectionTable::settle(Connection* connection) {
  DeliveryContext context{*connection->handler, counters_, total_buffered_, limits_, clock_us_,
                          connection->segments};
  DirectionReassembler& client = connection->directions[0];
  DirectionReassembler& server = connection->directions[1];
  // The common case, bytes delivered in order as they came: nothing waits, nothing to settle.
  if (!client.waiting() && !server.waiting() && !client.fin_seen() && !server.fin_seen()) {
    return false;
  }
  for (bool progress = true; progress;) {
    const bool client_moved = client.deliver_ready(server, context);
    const bool server_moved = server.deliver_ready(client, context);
    const bool client_expired = client.expire_holes(server, context);
    const bool server_expired = server.expire_holes(client, context);
    progress = client_moved || server_moved || client_expired || server_expired;
  }
  // It ends when its FINs or its reset were sent, whatever order the capture recorded them in.
  if (client.reset_due(server, clock_us_) || server.reset_due(client, clock_us_)) {
    close(connection, CloseReason::kReset,
          client.reset_due(server, clock_us_) ? client.end_ts_us() : server.end_ts_us());
    return true;
  }
  if (client.finished() && server.finished()) {
    close(connection, CloseReason::kFin, std::max(client.end_ts_us(), server.end_ts_us()));
    return true;
  }
  if ((client.waiting() || server.waiting()) && !connection->waiting) {
    waiting_.push_back(connection);
    connection->waiting = true;
  }
  return false;
}

void ConnectionTable::segment(const net::TcpSegment& segment, Direction direction) {
  const bool to_server = direction == Direction::kToServer;
  const Key key = to_server ? Key{segment.source, segment.destination}
                            : Key{segment.destination, segment.source};
  const Direction side = direction;
  const bool syn = (segment.flags & net::kTcpSyn) != 0;
  const bool ack = (segment.flags & net::kTcpAck) != 0;
  const bool rst = (segment.flags & net::kTcpRst) != 0;
  clock_us_ = std::max(clock_us_, segment.ts_us);

  Connection* connection = find(key);
  if (connection != nullptr && connection->ignored && !syn) {
    return follow_ignored(connection, segment, direction);
  }
  ++counters_.segments;
  if (segment.payload_missing > 0) ++counters_.truncated_segments;
  counters_.payload_bytes[static_cast<int>(side)] += segment.payload.size();
  if (connection != nullptr && syn && !ack && to_server) {
    const DirectionReassembler& client = connection->directions[0];
    if (client.started_at_syn() && client.initial_sequence() == segment.seq) {
      touch(connection);
      connection->last_seen_us = segment.ts_us;
      return;  // a retransmitted SYN
    }
    close(connection, CloseReason::kReplaced, segment.ts_us);  // the 4-tuple is reused
    connection = nullptr;
  }
  if (connection == nullptr) {
    // A bare ACK, FIN or RST of a connection we do not track carries nothing to decode.
    if (!syn && segment.payload.empty() && segment.payload_missing == 0) return;
    if (!syn && late_after_reset(key, static_cast<int>(side), segment.seq, segment.ts_us)) {
      ++counters_.late_after_reset;
      return;
    }
    connection = open(key, syn, segment.ts_us);
  }
  touch(connection);
  connection->last_seen_us = std::max(connection->last_seen_us, segment.ts_us);
  ++connection->segments;
  connection->bytes[static_cast<std::size_t>(side)] += segment.payload.size();
  DirectionReassembler& own = connection->directions[static_cast<int>(side)];
  DirectionReassembler& peer = connection->directions[1 - static_cast<int>(side)];
  if (syn) {
    own.start_at_syn(segment.seq);
    // A SYN-ACK also tells where the client's stream starts, should its SYN be missing.
    if (!to_server && ack && !peer.synced()) peer.start_at_syn(segment.ack - 1);
  }
  DeliveryContext context{*connection->handler, counters_, total_buffered_, limits_, clock_us_,
                          connection->segments};
  const bool ended_before = own.fin_seen();
  own.segment(segment, peer, context);
  if (ack) peer.peer_acknowledged(segment.ack, context);
  if (!ended_before && (rst || (segment.flags & net::kTcpFin) != 0))
    connection->handler->on_end_sent(side, segment.ts_us);
  if (rst && !own.defer_reset(segment, peer, context)) {
    close(connection, CloseReason::kReset, segment.ts_us);
    return;
  }
  if (settle(connection)) return;
  follow_handler_choice(connection);
}

// Detection may have found nothing to decode, or the family that decodes the connection.
void ConnectionTable::follow_handler_choice(Connection* connection) {
  if (!connection->handler->wants_bytes()) return ignore(connection);
  if (std::unique_ptr<StreamHandler> next = connection->handler->take_successor()) {
    connection->handler = std::move(next);
  }
}

void ConnectionTable::expire_holes() {
  std::vector<Connection*> due;
  due.swap(waiting_);
  for (Connection* connection : due) connection->waiting = false;
  for (Connection* connection : due) settle(connection);  // closes at most this connection
}

void ConnectionTable::advance(std::int64_t now_us) {
  clock_us_ = std::max(clock_us_, now_us);
  if (clock_us_ >= next_hole_check_us_ && !waiting_.empty()) {
    expire_holes();
    next_hole_check_us_ = clock_us_ + kHoleCheckInterval_us;
  }
  if (clock_us_ >= next_idle_check_us_) {
    expire_idle(clock_us_);
    next_idle_check_us_ = clock_us_ + kIdleCheckInterval_us;
  }
}

void ConnectionTable::expire_idle(std::int64_t now_us) {
  while (oldest_ != nullptr && now_us - oldest_->last_seen_us > limits_.idle_timeout_us) {
    ++counters_.connections_expired;
    close(oldest_, CloseReason::kIdle, now_us);
  }
}

void ConnectionTable::remember_reset(const Connection& connection, std::int64_t ts_us) {
  ResetMemory& slot = recent_resets_[next_reset_slot_];
  next_reset_slot_ = (next_reset_slot_ + 1) % kRememberedResets;
  slot.key = connection.key;
  slot.next_seq = {connection.directions[0].next_seq(), connection.directions[1].next_seq()};
  slot.ts_us = ts_us;
}

// Late: on a connection reset within the reordering bound, at or just past where its stream
// stood.
bool ConnectionTable::late_after_reset(const Key& key, int side, std::uint32_t seq,
                                       std::int64_t ts_us) const {
  constexpr std::uint32_t kLateWindow = 1u << 20;
  for (const ResetMemory& reset : recent_resets_) {
    if (reset.ts_us == INT64_MIN || !(reset.key == key)) continue;
    const bool recent = ts_us - reset.ts_us <= limits_.acked_hole_wait_us;
    if (recent && seq - reset.next_seq[static_cast<std::size_t>(side)] < kLateWindow) return true;
  }
  return false;
}

void ConnectionTable::close_all(std::int64_t ts_us) {
  while (oldest_ != nullptr) close(oldest_, CloseReason::kCaptureEnd, ts_us);
}

}  // namespace zkdump::tcp
