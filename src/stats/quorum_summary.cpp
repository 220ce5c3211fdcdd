#include "zkdump/stats/quorum_summary.hpp"

#include <string>

namespace zkdump::stats {
namespace {

constexpr std::size_t kMaxRounds = 1024;
constexpr std::size_t kMaxVotersPerRound = 256;

template <typename... Args>
void put(fmt::memory_buffer& out, fmt::format_string<Args...> format, Args&&... args) {
  fmt::format_to(fmt::appender(out), format, std::forward<Args>(args)...);
}

}  // namespace

void QuorumSummary::quorum(const session::QuorumMessage& message) {
  using Kind = session::QuorumMessage::Kind;
  switch (message.kind) {
    case Kind::kNotification:
      ++messages_;
      if (message.voters.from_sid >= 0) {
        note_vote(message.voters.from_sid, *message.notification, message.ts_us);
      }
      return;
    case Kind::kPacket:
      ++messages_;
      count_packet(message);
      return;
    case Kind::kSnapshot:
      snapshot_bytes_ += message.snapshot_bytes;
      return;
    case Kind::kUncommitted:
      ++uncommitted_;
      return;
    case Kind::kElectionHeader:
      return;
  }
}

void QuorumSummary::count_packet(const session::QuorumMessage& message) {
  const std::int32_t type = message.packet->packet.type;
  if (type == zk::quorum::kProposal && !message.from_client) ++proposals_;
  if (message.latency_us < 0) return;
  if (type == zk::quorum::kCommit && !message.from_client) ++commits_;
  if (type == zk::quorum::kAck && message.from_client) ++acks_;
}

void QuorumSummary::note_vote(std::int64_t sid, const zk::quorum::Notification& notification,
                              std::int64_t ts_us) {
  const std::int64_t epoch = notification.election_epoch;
  if (rounds_.size() >= kMaxRounds && !rounds_.contains(epoch)) return;
  Round& round = rounds_[epoch];
  if (round.size() >= kMaxVotersPerRound && !round.contains(sid)) return;
  const bool first = !round.contains(sid);
  Vote& vote = round[sid];
  if (first) {
    vote.first_ts_us = ts_us;
  } else if (vote.leader != notification.leader) {
    ++vote.changes;
  }
  vote.leader = notification.leader;
  vote.state = notification.state;
  if (notification.state != 0 && vote.settled_ts_us < 0) vote.settled_ts_us = ts_us;
}

// The winner of a round: the leader most settled servers name. A server that settled only tells
// when a LOOKING peer asks, so failing that: the final vote of a majority of the voters.
std::int64_t QuorumSummary::winner_of(const Round& round) {
  std::map<std::int64_t, std::size_t> named_by_settled;
  std::map<std::int64_t, std::size_t> named;
  for (const auto& [sid, vote] : round) {
    ++named[vote.leader];
    if (vote.settled_ts_us >= 0) ++named_by_settled[vote.leader];
  }
  const auto most_named = [](const std::map<std::int64_t, std::size_t>& names) {
    std::pair<std::int64_t, std::size_t> most{-1, 0};
    for (const auto& [leader, count] : names) {
      if (count > most.second) most = {leader, count};
    }
    return most;
  };
  if (!named_by_settled.empty()) return most_named(named_by_settled).first;
  const auto [leader, votes] = most_named(named);
  return 2 * votes > round.size() ? leader : -1;
}

void QuorumSummary::write_json(fmt::memory_buffer& out) const {
  put(out, "{{\"kind\":\"quorum_summary\",\"election_rounds\":[");
  bool first_round = true;
  for (const auto& [epoch, round] : rounds_) {
    put(out, "{}{{\"election_epoch\":{},\"winner\":{},\"servers\":[", first_round ? "" : ",", epoch,
        winner_of(round));
    first_round = false;
    bool first_server = true;
    for (const auto& [sid, vote] : round) {
      put(out,
          "{}{{\"sid\":{},\"vote\":{},\"state\":\"{}\",\"vote_changes\":{},\"settled_ts\":{}}}",
          first_server ? "" : ",", sid, vote.leader, zk::quorum::peer_state_name(vote.state),
          vote.changes,
          vote.settled_ts_us < 0
              ? std::string("null")
              : fmt::format("{:.6f}", static_cast<double>(vote.settled_ts_us) / 1e6));
      first_server = false;
    }
    put(out, "]}}");
  }
  put(out,
      "],\"proposals\":{},\"commits\":{},\"acks\":{},\"uncommitted\":{},\"snapshot_bytes\":{}}}\n",
      proposals_, commits_, acks_, uncommitted_, snapshot_bytes_);
}

void QuorumSummary::write_text(fmt::memory_buffer& out) const {
  // Relative styles would be relative to nothing here.
  const bool absolute = style_ == TimestampStyle::kDate || style_ == TimestampStyle::kEpoch;
  TimestampFormatter timestamps(absolute ? style_ : TimestampStyle::kTime);
  put(out, "election summary\n");
  for (const auto& [epoch, round] : rounds_) {
    put(out, "  round {}: winner {}\n", epoch, winner_of(round));
    for (const auto& [sid, vote] : round) {
      put(out, "    server {} voted {} ({} changes), {}", sid, vote.leader, vote.changes,
          zk::quorum::peer_state_name(vote.state));
      if (vote.settled_ts_us < 0) {
        put(out, " when last heard\n");
        continue;
      }
      put(out, " since ");
      timestamps.append(out, vote.settled_ts_us);
      out.resize(out.size() - 1);  // the formatter's trailing space
      put(out, "\n");
    }
  }
  put(out, "zab: {} proposals, {} commits, {} acks, {} uncommitted, {} snapshot bytes\n",
      proposals_, commits_, acks_, uncommitted_, snapshot_bytes_);
}

}  // namespace zkdump::stats
