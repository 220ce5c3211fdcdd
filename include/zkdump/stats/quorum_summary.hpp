// The end-of-run story of server-to-server traffic: each election round (who voted for whom, when
// each server settled, the winner) and the ZAB counters.
#pragma once

#include <cstdint>
#include <map>

#include <fmt/format.h>

#include "zkdump/base/timestamp.hpp"
#include "zkdump/session/sink.hpp"

namespace zkdump::stats {

class QuorumSummary final : public session::Sink {
 public:
  // Settling times print in the lines' style, where it is absolute.
  explicit QuorumSummary(TimestampStyle style) : style_(style) {}

  void quorum(const session::QuorumMessage& message) override;

  bool seen_any() const { return messages_ > 0; }
  void write_text(fmt::memory_buffer& out) const;
  void write_json(fmt::memory_buffer& out) const;

 private:
  struct Vote {
    std::int64_t leader = 0;
    std::int32_t state = 0;
    std::uint32_t changes = 0;  // how often the server changed its vote this round
    std::int64_t first_ts_us = 0;
    std::int64_t settled_ts_us = -1;  // first notification that was no longer LOOKING
  };
  using Round = std::map<std::int64_t, Vote>;  // by sid

  void note_vote(std::int64_t sid, const zk::quorum::Notification& notification,
                 std::int64_t ts_us);
  void count_packet(const session::QuorumMessage& message);
  static std::int64_t winner_of(const Round& round);

  TimestampStyle style_;
  std::uint64_t messages_ = 0;
  std::uint64_t proposals_ = 0;
  std::uint64_t commits_ = 0;
  std::uint64_t acks_ = 0;
  std::uint64_t uncommitted_ = 0;  // proposals a connection closed on without their COMMIT
  std::uint64_t snapshot_bytes_ = 0;
  std::map<std::int64_t, Round> rounds_;  // by election epoch
};

}  // namespace zkdump::stats
