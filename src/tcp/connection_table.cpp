#include <cstring>
#include <functional>

#include "zkdump/tcp/reassembly.hpp"

namespace zkdump::tcp {

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
  for (int side = 0; side < 2; ++side) {
    connection->directions[side].drain(static_cast<Side>(side), ts_us, *connection->handler,
                                       counters_, total_buffered_);
  }
  connection->handler->on_close(reason, ts_us);
  ++counters_.connections_closed;
  unlink(connection);
  if (last_found_ == connection) last_found_ = nullptr;
  const Key key = connection->key;
  connections_.erase(key);
}

ConnectionTable::Connection* ConnectionTable::find(const Key& key) {
  if (last_found_ != nullptr && last_found_->key == key) return last_found_;
  const auto found = connections_.find(key);
  if (found == connections_.end()) return nullptr;
  last_found_ = found->second.get();
  return last_found_;
}

void ConnectionTable::segment(const net::TcpSegment& segment, bool to_server) {
  ++counters_.segments;
  if (segment.payload_missing > 0) ++counters_.truncated_segments;
  const Key key = to_server ? Key{segment.source, segment.destination}
                            : Key{segment.destination, segment.source};
  const Side side = to_server ? Side::kClientToServer : Side::kServerToClient;
  const bool syn = (segment.flags & net::kTcpSyn) != 0;
  const bool ack = (segment.flags & net::kTcpAck) != 0;
  const bool rst = (segment.flags & net::kTcpRst) != 0;
  counters_.payload_bytes[static_cast<int>(side)] += segment.payload.size();

  Connection* connection = find(key);
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
    connection = open(key, syn, segment.ts_us);
  }
  touch(connection);
  connection->last_seen_us = segment.ts_us;
  DirectionReassembler& own = connection->directions[static_cast<int>(side)];
  DirectionReassembler& peer = connection->directions[1 - static_cast<int>(side)];
  if (syn) {
    own.start_at_syn(segment.seq);
    // A SYN-ACK also tells where the client's stream starts, should its SYN be missing.
    if (!to_server && ack && !peer.synced()) peer.start_at_syn(segment.ack - 1);
  }
  own.segment(segment, side, *connection->handler, counters_, total_buffered_, limits_);
  if (ack) {
    peer.peer_acknowledged(
        segment.ack, side == Side::kClientToServer ? Side::kServerToClient : Side::kClientToServer,
        segment.ts_us, *connection->handler, counters_, total_buffered_);
  }
  if (rst) {
    close(connection, CloseReason::kReset, segment.ts_us);
  } else if (own.finished() && peer.finished()) {
    close(connection, CloseReason::kFin, segment.ts_us);
  }
}

void ConnectionTable::expire_idle(std::int64_t now_us) {
  while (oldest_ != nullptr && now_us - oldest_->last_seen_us > limits_.idle_timeout_us) {
    ++counters_.connections_expired;
    close(oldest_, CloseReason::kIdle, now_us);
  }
}

void ConnectionTable::close_all(std::int64_t ts_us) {
  while (oldest_ != nullptr) close(oldest_, CloseReason::kCaptureEnd, ts_us);
}

}  // namespace zkdump::tcp
