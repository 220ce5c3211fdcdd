#include "zkdump/analysis/watch_tracker.hpp"

#include <algorithm>
#include <functional>

#include "zkdump/session/filter.hpp"
#include "zkdump/zk/quorum.hpp"

namespace zkdump::analysis {
namespace {

using session::QuorumMessage;
using session::ZkMessage;

// Writes whose notifications are still inside their window, at once; beyond, the oldest is
// reported early. As many paths remember their last write.
constexpr std::size_t kMaxOpenFanouts = 16384;

std::uint64_t path_hash(std::string_view path) {
  return std::hash<std::string_view>()(path);
}

// "/a/b" -> "/a", "/a" -> "/": the node whose child watches a create or delete fires.
std::string_view parent_of(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string_view::npos || path.size() <= 1) return {};
  return slash == 0 ? path.substr(0, 1) : path.substr(0, slash);
}

// The reads a notified client makes to see what changed.
bool is_follow_up_read(const zk::Request& request) {
  return request.op != nullptr && request.op->route == zk::OpRoute::kLocal &&
         request.facts.path.size > 0 && request.op->code != zk::kOpSetWatches &&
         request.op->code != zk::kOpSetWatches2;
}

bool is_write(const zk::OpInfo* op, std::string_view path) {
  return op != nullptr && op->route == zk::OpRoute::kTxn && !path.empty();
}

std::int64_t session_of(const session::Connection& connection) {
  return session::parse_session_id(connection.session).value_or(0);
}

}  // namespace

struct WatchTracker::ConnectionState : session::ConnectionState {
  std::int64_t fanout = 0;  // the key of the last fanout that notified it
  std::int64_t notified_us = -1;
  std::uint64_t notified_path = 0;
};

bool WatchTracker::Write::same_as(const Write& other) const {
  return (session != 0 && session == other.session && xid == other.xid) ||
         (zxid > 0 && zxid == other.zxid);
}

WatchTracker::WatchTracker(session::Sinks& sinks, std::uint32_t storm_threshold)
    : sinks_(sinks),
      threshold_(storm_threshold),
      fanouts_(kMaxOpenFanouts, kWindowUs),
      paths_(kMaxOpenFanouts, 2 * kWindowUs) {}

void WatchTracker::open(session::Connection& connection) {
  if (connection.protocol == session::Protocol::kZooKeeper)
    connection.sink_state[state_index_] = std::make_unique<ConnectionState>();
}

void WatchTracker::close(session::Connection& connection) {
  connection.sink_state[state_index_].reset();
}

void WatchTracker::zk(const ZkMessage& message) {
  tick(message.ts_us);
  auto& connection = message.connection->state<ConnectionState>(state_index_);
  if (const auto* event = message.as<zk::WatcherEvent>()) {
    if (event->decoded.complete) on_event(message, *event, connection);
  } else if (const auto* request = message.as<zk::Request>()) {
    if (is_follow_up_read(*request)) on_read(message, *request, connection);
    const std::string_view path = request->facts.path.view();
    if (is_write(request->op, path)) {
      const Write write{request->op->json_name, session_of(*message.connection), request->xid};
      on_write(path, request->op->code, write, message.ts_us);
    }
  } else if (const auto* reply = message.as<zk::Reply>()) {
    // The reply names the write's zxid, for a fanout it fired that has none yet.
    const session::Outstanding* asked = message.outstanding;
    if (asked == nullptr || reply->header.zxid <= 0 || !is_write(asked->op, asked->path)) return;
    const Write write{asked->op->json_name, session_of(*message.connection), asked->xid,
                      reply->header.zxid};
    mark_written(asked->path, write, -1);
  }
}

void WatchTracker::quorum(const QuorumMessage& message) {
  const auto* zab = message.as<zk::quorum::ZabPacket>();
  if (zab == nullptr || zab->from_learner || zab->packet.type != zk::quorum::kProposal) return;
  tick(message.ts_us);
  const zk::quorum::TxnFacts& txn = zab->txn;
  const Write write{zk::quorum::txn_type_name(txn.type), txn.session, txn.cxid, zab->packet.zxid};
  if (!txn.path.view().empty()) on_write(txn.path.view(), txn.type, write, message.ts_us);
}

// A create or delete fires child watches on the parent too.
void WatchTracker::on_write(std::string_view path, std::int32_t type, const Write& write,
                            std::int64_t ts_us) {
  mark_written(path, write, ts_us);
  if (type != zk::kOpSetData) mark_written(parent_of(path), write, ts_us);
}

// A write seen again (its PROPOSAL after its request, the PROPOSAL to another follower, its
// reply) completes what is known of it; a new one (ts_us >= 0) becomes the path's last write.
void WatchTracker::mark_written(std::string_view path, const Write& write, std::int64_t ts_us) {
  if (path.empty()) return;
  const std::uint64_t key = path_hash(path);
  if (WrittenPath* known = paths_.find(key); known != nullptr && known->write.same_as(write)) {
    if (known->write.zxid <= 0) known->write.zxid = write.zxid;
    if (known->write.session == 0) known->write.session = write.session;
    Fanout* fired = known->fanout != 0 ? fanouts_.find(known->fanout) : nullptr;
    if (fired != nullptr && fired->write.same_as(write) && fired->write.zxid <= 0)
      fired->write.zxid = write.zxid;
    return;
  }
  if (ts_us < 0) return;
  paths_.erase(key);
  WrittenPath& written = paths_.at(key, ts_us);
  written.write = write;
  written.write_taken = false;
}

// The fanout a notification belongs to: its write's, by zxid or as the path's last write.
std::int64_t WatchTracker::fanout_key(const zk::WatcherEvent& event, WrittenPath& path,
                                      const ConnectionState& connection) {
  if (event.zxid > 0) return path.fanout = event.zxid;
  const bool open = path.fanout != 0 && fanouts_.find(path.fanout) != nullptr;
  if (!open || !path.write_taken || connection.fanout == path.fanout) path.fanout = next_key_--;
  return path.fanout;
}

void WatchTracker::on_event(const ZkMessage& message, const zk::WatcherEvent& event,
                            ConnectionState& connection) {
  const std::string_view path = event.path.view();
  WrittenPath& written = paths_.at(path_hash(path), message.ts_us);
  const std::int64_t key = fanout_key(event, written, connection);
  Fanout& fanout =
      fanouts_.at(key, message.ts_us, [this](std::int64_t, Fanout& early) { report(early); });
  if (fanout.notifications == 0) {
    if (!written.write_taken) fanout.write = written.write;
    written.write_taken = true;
    if (event.zxid > 0) fanout.write.zxid = event.zxid;
    fanout.event_type = event.type;
    fanout.first_us = message.ts_us;
    fanout.path_size = std::min(path.size(), kMaxPath);
    std::copy_n(path.data(), fanout.path_size, fanout.path.data());
  }
  ++fanout.notifications;
  if (connection.fanout != key || connection.notified_us < 0) ++fanout.connections;
  connection.fanout = key;
  connection.notified_us = message.ts_us;
  connection.notified_path = path_hash(path);
}

void WatchTracker::on_read(const ZkMessage& message, const zk::Request& request,
                           const ConnectionState& connection) {
  if (connection.notified_us < 0 || message.ts_us - connection.notified_us > kWindowUs) return;
  if (path_hash(request.facts.path.view()) != connection.notified_path) return;
  Fanout* fanout = fanouts_.find(connection.fanout);
  if (fanout != nullptr) ++fanout->reads;
}

void WatchTracker::tick(std::int64_t now_us) {
  fanouts_.expire(now_us, [this](std::int64_t, Fanout& fanout) { report(fanout); });
  paths_.expire(now_us);
}

void WatchTracker::finish(std::int64_t /*ts_us*/) {
  fanouts_.forget_all([this](std::int64_t, Fanout& fanout) { report(fanout); });
}

void WatchTracker::report(const Fanout& fanout) {
  session::WatchFanout found;
  found.zxid = fanout.write.zxid > 0 ? fanout.write.zxid : -1;
  found.write_op = fanout.write.op;
  found.writer_session = fanout.write.session;
  found.path = {fanout.path.data(), fanout.path_size};
  found.event_type = fanout.event_type;
  found.ts_us = fanout.first_us;
  found.window_us = kWindowUs;
  found.notifications = fanout.notifications;
  found.connections = fanout.connections;
  found.reads = fanout.reads;
  found.threshold = threshold_;
  sinks_.watch_fanout(found);
}

}  // namespace zkdump::analysis
