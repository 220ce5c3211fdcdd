// Statistics over ZAB traffic: proposals per second, and each follower's proposal-to-ACK and
// proposal-to-COMMIT latency percentiles, in bounded memory.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <fmt/format.h>

#include "zkdump/session/sink.hpp"
#include "zkdump/stats/distinct_proposals.hpp"
#include "zkdump/stats/histogram.hpp"
#include "zkdump/stats/report_span.hpp"

namespace zkdump::stats {

// Counts the proposals a leader sends once a learner is in sync, not those it replays during the
// sync; followers are named server.N once their FOLLOWERINFO gave their sid.
class ZabStats final : public session::Sink {
 public:
  void quorum(const session::QuorumMessage& message) override;

  bool empty() const { return proposals_ == 0 && followers_.empty(); }
  // Starts a new --stats-interval: every figure back to zero.
  void start_interval();

  // One line per follower: counts, average and maximum (the end-of-run summary).
  void write_brief_text(fmt::memory_buffer& out) const;
  // Proposals per second and a table of percentiles per follower (--stats).
  void write_text(fmt::memory_buffer& out, const ReportSpan& span) const;
  void write_json(fmt::memory_buffer& out, const ReportSpan& span) const;

 private:
  struct Follower {
    LatencyHistogram acks;
    LatencyHistogram commits;
  };
  Follower& follower(std::string_view name);
  // Once per learner: the same zxid comes from `leader` (IP:PORT) to each of them.
  void on_proposal(std::string_view leader, std::int64_t zxid);

  std::uint64_t proposals_ = 0;
  DistinctProposals distinct_;
  std::map<std::string, Follower, std::less<>> followers_;
};

}  // namespace zkdump::stats
