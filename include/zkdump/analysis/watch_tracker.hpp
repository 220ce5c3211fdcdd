// Watch storms: one write fires a notification to every session watching its node, and each of
// them reads the node again. Notifications are grouped by the write that fired them (the event's
// zxid); reads of a notified path by a notified connection within the window after the first
// notification count as its follow-up reads. When the window ends, a WatchFanout goes to the
// sinks, a storm when it passed the threshold.
#pragma once

#include <array>
#include <cstdint>

#include "zkdump/analysis/aging_table.hpp"
#include "zkdump/session/sink.hpp"

namespace zkdump::analysis {

class WatchTracker final : public session::Sink {
 public:
  static constexpr std::int64_t kWindowUs = 1'000'000;

  WatchTracker(session::Sinks& sinks, std::uint32_t storm_threshold);

  void open(session::Connection& connection) override;
  void close(session::Connection& connection) override;
  void zk(const session::ZkMessage& message) override;
  void tick(std::int64_t now_us) override;
  void finish(std::int64_t ts_us) override;

 private:
  static constexpr std::size_t kMaxPath = 256;
  struct Fanout {
    std::int64_t zxid = -1;
    std::int32_t event_type = 0;
    std::int64_t first_us = 0;
    std::uint32_t notifications = 0;
    std::uint32_t connections = 0;
    std::uint32_t reads = 0;
    std::array<char, kMaxPath> path{};
    std::size_t path_size = 0;
  };
  struct ConnectionState;

  void on_event(const session::ZkMessage& message, const zk::WatcherEvent& event,
                ConnectionState& connection);
  void on_read(const session::ZkMessage& message, const zk::Request& request,
               const ConnectionState& connection);
  void report(const Fanout& fanout);

  session::Sinks& sinks_;
  std::uint32_t threshold_;
  AgingTable<std::int64_t, Fanout> fanouts_;  // by key: the zxid, or a path's hash
};

}  // namespace zkdump::analysis
