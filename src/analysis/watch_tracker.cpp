#include "zkdump/analysis/watch_tracker.hpp"

#include <algorithm>
#include <functional>

namespace zkdump::analysis {
namespace {

using session::ZkMessage;

// Writes whose notifications are still inside their window, at once; beyond, the oldest is
// reported early.
constexpr std::size_t kMaxOpenFanouts = 16384;

std::uint64_t path_hash(std::string_view path) {
  return std::hash<std::string_view>()(path);
}

// Servers before 3.6 send zxid -1 with every notification: those group by path instead.
std::int64_t fanout_key(std::int64_t zxid, std::string_view path) {
  if (zxid > 0) return zxid;
  return -static_cast<std::int64_t>(path_hash(path) >> 2) - 2;
}

// The reads a notified client makes to see what changed.
bool is_follow_up_read(const zk::Request& request) {
  return request.op != nullptr && request.op->route == zk::OpRoute::kLocal &&
         request.facts.path.size > 0 && request.op->code != zk::kOpSetWatches &&
         request.op->code != zk::kOpSetWatches2;
}

}  // namespace

struct WatchTracker::ConnectionState : session::ConnectionState {
  std::int64_t fanout = 0;  // the key of the last fanout that notified it
  std::int64_t notified_us = -1;
  std::uint64_t notified_path = 0;
};

WatchTracker::WatchTracker(session::Sinks& sinks, std::uint32_t storm_threshold)
    : sinks_(sinks), threshold_(storm_threshold), fanouts_(kMaxOpenFanouts, kWindowUs) {}

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
  }
}

void WatchTracker::on_event(const ZkMessage& message, const zk::WatcherEvent& event,
                            ConnectionState& connection) {
  const std::string_view path = event.path.view();
  const std::int64_t key = fanout_key(event.zxid, path);
  Fanout& fanout =
      fanouts_.at(key, message.ts_us, [this](std::int64_t, Fanout& early) { report(early); });
  if (fanout.notifications == 0) {
    fanout.zxid = event.zxid > 0 ? event.zxid : -1;
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
}

void WatchTracker::finish(std::int64_t /*ts_us*/) {
  fanouts_.forget_all([this](std::int64_t, Fanout& fanout) { report(fanout); });
}

void WatchTracker::report(const Fanout& fanout) {
  session::WatchFanout found;
  found.zxid = fanout.zxid;
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
