// Watch storms: one write fires a notification to every session watching its node, and each of
// them reads the node again. Each notification is tied to the write that fired it: by the
// event's zxid where the server sends it (3.9 and later), else the last write seen on its path
// (a client's write request, or a PROPOSAL) before it. A session notified twice within one
// fanout starts another, since one write notifies a session once. Reads of a notified path by a
// notified connection within the window after the first notification count as its follow-up
// reads. When the window ends, a WatchFanout goes to the sinks, a storm when it passed the
// threshold.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

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
  void quorum(const session::QuorumMessage& message) override;
  void tick(std::int64_t now_us) override;
  void finish(std::int64_t ts_us) override;

 private:
  static constexpr std::size_t kMaxPath = 256;
  // A write as the capture showed it: a client's request, a PROPOSAL, or both.
  struct Write {
    std::string_view op;       // setData, create, ...: names from the protocol's tables
    std::int64_t session = 0;  // the writer's, 0 unknown
    std::int32_t xid = 0;
    std::int64_t zxid = -1;  // once a PROPOSAL or the reply named it
    bool same_as(const Write& other) const;
  };
  struct Fanout {
    Write write;  // the one that fired it; op empty when none was seen
    std::int32_t event_type = 0;
    std::int64_t first_us = 0;
    std::uint32_t notifications = 0;
    std::uint32_t connections = 0;
    std::uint32_t reads = 0;
    std::array<char, kMaxPath> path{};
    std::size_t path_size = 0;
  };
  // A path's last write, until a notification on the path takes it, and its open fanout.
  struct WrittenPath {
    Write write;
    bool write_taken = true;
    std::int64_t fanout = 0;  // its key, 0 none
  };
  struct ConnectionState;

  void on_event(const session::ZkMessage& message, const zk::WatcherEvent& event,
                ConnectionState& connection);
  void on_read(const session::ZkMessage& message, const zk::Request& request,
               const ConnectionState& connection);
  void on_write(std::string_view path, std::int32_t type, const Write& write, std::int64_t ts_us);
  void mark_written(std::string_view path, const Write& write, std::int64_t ts_us);
  std::int64_t fanout_key(const zk::WatcherEvent& event, WrittenPath& path,
                          const ConnectionState& connection);
  void report(const Fanout& fanout);

  session::Sinks& sinks_;
  std::uint32_t threshold_;
  AgingTable<std::int64_t, Fanout> fanouts_;  // by key: the zxid, or a number of our own below 0
  AgingTable<std::uint64_t, WrittenPath> paths_;  // by the path's hash
  std::int64_t next_key_ = -2;
};

}  // namespace zkdump::analysis
