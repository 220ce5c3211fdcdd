// The end-of-run story of server-to-server traffic: each election round (who voted for whom, when
// each server settled, the winner) and the ZAB counters.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "zkdump/base/json_writer.hpp"
#include "zkdump/base/timestamp.hpp"
#include "zkdump/session/sink.hpp"
#include "zkdump/stats/distinct_proposals.hpp"

namespace zkdump::stats {

// Elections are told apart by what the capture shows: a new one begins with a notification of a
// new election epoch, with a LOOKING one once every server that looked in the last one found its
// leader (it settled, leads, or the leader's UPTODATE ended its sync), or after a minute of silence
// (longer than FastLeaderElection waits between its notifications); a rejoining server that looks
// again, in its next election epoch, still rejoins. A round in which a server that looks for a
// leader is answered by servers that settled in the epoch already at work is no election: that
// server rejoined (the others' first answers may still say LOOKING: on a new connection a server
// resends its last notification), and its sync ends with the leader's UPTODATE to it.
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
    std::uint32_t changes = 0;        // how often the server changed its vote in this election
    std::int64_t settled_ts_us = -1;  // first notification that was no longer LOOKING
    std::int64_t settled_epoch = -1;  // and the epoch it settled in
    std::int64_t looking_ts_us = -1;  // first LOOKING notification: it looked for a leader
    std::int64_t synced_ts_us = -1;   // the leader's UPTODATE to it, once it looked
    bool leads = false;               // its LEADERINFO was seen since it looked
  };
  struct Election {
    std::int64_t start_us = 0;
    std::int64_t last_us = 0;
    std::vector<std::int64_t> epochs;    // election epochs seen, in order
    std::map<std::int64_t, Vote> votes;  // by sid
    std::int64_t epoch_before = -1;      // the epoch at work when it began, -1 none known

    bool over() const;
    std::int64_t winner() const;
    bool rejoin() const;
    std::int64_t newest_epoch() const { return *std::max_element(epochs.begin(), epochs.end()); }
  };

  void note_vote(std::int64_t sid, const zk::quorum::Notification& notification, std::int64_t ts_us,
                 std::int64_t epoch);
  void note_synced(const session::QuorumMessage& message, const zk::quorum::QuorumPacket& packet);
  bool begins_election(std::int64_t sid, const zk::quorum::Notification& notification,
                       std::int64_t ts_us) const;
  void count_packet(const session::QuorumMessage& message, const zk::quorum::QuorumPacket& packet);
  static void write_election_json(JsonWriter& json, const Election& election);
  static void write_election_text(fmt::memory_buffer& out, const Election& election,
                                  TimestampFormatter& timestamps);
  void write_leaders_text(fmt::memory_buffer& out, TimestampFormatter& timestamps) const;
  void write_leaders_json(JsonWriter& json) const;

  TimestampStyle style_;
  std::uint64_t messages_ = 0;
  DistinctProposals distinct_;
  std::uint64_t proposals_ = 0;       // distinct
  std::uint64_t proposals_sent_ = 0;  // to every learner
  std::uint64_t commits_ = 0;
  std::uint64_t acks_ = 0;
  std::uint64_t uncommitted_ = 0;  // proposals a connection closed on without their COMMIT
  std::uint64_t snapshot_bytes_ = 0;
  std::vector<Election> elections_;
  struct Reign {
    std::int64_t ts_us = 0;  // its first COMMIT
    session::LeaderChange change;
  };
  std::vector<Reign> leaders_;
  std::uint64_t leaders_dropped_ = 0;
  std::uint64_t elections_dropped_ = 0;  // past the cap: counted, not kept
};

}  // namespace zkdump::stats
