#include "zkdump/stats/quorum_summary.hpp"

#include <algorithm>
#include <string>

#include <fmt/ranges.h>

#include "zkdump/base/variant.hpp"

namespace zkdump::stats {
namespace {

constexpr std::size_t kMaxElections = 1024;
constexpr std::size_t kMaxVoters = 256;
constexpr std::size_t kMaxEpochsPerElection = 64;
// FastLeaderElection waits at most 60 s between notifications of one election.
constexpr std::int64_t kSilenceBetweenElectionsUs = 60'000'000;
constexpr std::int64_t kMicrosPerMilli = 1000;

template <typename... Args>
void put(fmt::memory_buffer& out, fmt::format_string<Args...> format, Args&&... args) {
  fmt::format_to(fmt::appender(out), format, std::forward<Args>(args)...);
}

void json_time(JsonWriter& json, std::int64_t ts_us) {
  if (ts_us < 0) {
    json.null();
  } else {
    json.fixed(static_cast<double>(ts_us) / 1e6, 6);
  }
}

}  // namespace

void QuorumSummary::quorum(const session::QuorumMessage& message) {
  std::visit(Overloaded{
                 [&](const session::ElectionNotification& vote) {
                   ++messages_;
                   if (vote.voters.from_sid >= 0) {
                     note_vote(vote.voters.from_sid, vote.notification, message.ts_us,
                               message.ensemble != nullptr ? message.ensemble->epoch : -1);
                   }
                 },
                 [&](const zk::quorum::ZabPacket& packet) {
                   ++messages_;
                   count_packet(message, packet.packet);
                   note_synced(message, packet.packet);
                 },
                 [&](const session::LeaderChange& change) {
                   if (leaders_.size() >= kMaxElections) {
                     ++leaders_dropped_;
                   } else {
                     leaders_.push_back({message.ts_us, change});
                   }
                 },
                 [&](const session::Snapshot& snapshot) { snapshot_bytes_ += snapshot.bytes; },
                 [&](const session::Uncommitted&) { ++uncommitted_; },
                 [](const zk::quorum::ElectionHeader&) {},
             },
             message.body);
}

void QuorumSummary::count_packet(const session::QuorumMessage& message,
                                 const zk::quorum::QuorumPacket& packet) {
  const std::int32_t type = packet.type;
  if (type == zk::quorum::kProposal && message.direction == Direction::kToClient) {
    ++proposals_sent_;
    if (distinct_.add(message.connection->server, packet.zxid)) ++proposals_;
  }
  if (message.latency_us < 0) return;
  if (zk::quorum::is_commit(type) && message.direction == Direction::kToClient) ++commits_;
  if (type == zk::quorum::kAck && message.direction == Direction::kToServer) ++acks_;
}

bool QuorumSummary::begins_election(std::int64_t sid, const zk::quorum::Notification& notification,
                                    std::int64_t ts_us) const {
  if (elections_.empty()) return true;
  const Election& current = elections_.back();
  if (notification.state != 0) return false;  // a settled server answering: part of this one
  if (ts_us - current.last_us > kSilenceBetweenElectionsUs || current.over()) return true;
  // A rejoining server that looks again (its next election epoch) still rejoins.
  const auto found = current.votes.find(sid);
  const bool still_rejoining =
      current.rejoin() && found != current.votes.end() && found->second.looking_ts_us >= 0;
  return notification.election_epoch > current.newest_epoch() && !still_rejoining;
}

void QuorumSummary::note_vote(std::int64_t sid, const zk::quorum::Notification& notification,
                              std::int64_t ts_us, std::int64_t epoch) {
  if (begins_election(sid, notification, ts_us)) {
    if (elections_.size() >= kMaxElections) {
      ++elections_dropped_;
      return;
    }
    elections_.push_back({ts_us, ts_us, {notification.election_epoch}, {}, epoch});
  }
  Election& election = elections_.back();
  election.last_us = std::max(election.last_us, ts_us);
  std::vector<std::int64_t>& epochs = election.epochs;
  if (std::find(epochs.begin(), epochs.end(), notification.election_epoch) == epochs.end() &&
      epochs.size() < kMaxEpochsPerElection) {
    epochs.push_back(notification.election_epoch);
  }
  if (election.votes.size() >= kMaxVoters && !election.votes.contains(sid)) return;
  const bool first = !election.votes.contains(sid);
  Vote& vote = election.votes[sid];
  if (!first && vote.leader != notification.leader) ++vote.changes;
  vote.leader = notification.leader;
  vote.state = notification.state;
  if (notification.state != 0 && vote.settled_ts_us < 0) {
    vote.settled_ts_us = ts_us;
    vote.settled_epoch = notification.peer_epoch;
  }
  if (notification.state == 0 && vote.looking_ts_us < 0) vote.looking_ts_us = ts_us;
}

// A server that looked in the last round found its leader when it leads (its LEADERINFO) or
// when the leader's UPTODATE ends its sync: the time it took to serve again.
void QuorumSummary::note_synced(const session::QuorumMessage& message,
                                const zk::quorum::QuorumPacket& packet) {
  if (message.direction != Direction::kToClient || elections_.empty()) return;
  const bool leads = packet.type == zk::quorum::kLeaderInfo && message.ensemble != nullptr;
  const std::int64_t sid = leads                                  ? message.ensemble->leader
                           : packet.type == zk::quorum::kUpToDate ? message.learner_sid
                                                                  : -1;
  if (sid < 0) return;
  const auto found = elections_.back().votes.find(sid);
  if (found == elections_.back().votes.end()) return;
  Vote& vote = found->second;
  if (leads) {
    vote.leads = true;
  } else if (vote.looking_ts_us >= 0 && vote.synced_ts_us < 0) {
    vote.synced_ts_us = message.ts_us;
  }
}

// Every server that looked for a leader found one: the next LOOKING begins another round.
bool QuorumSummary::Election::over() const {
  return std::all_of(votes.begin(), votes.end(), [](const auto& entry) {
    const Vote& vote = entry.second;
    return vote.looking_ts_us < 0 || vote.state != 0 || vote.synced_ts_us >= 0 || vote.leads;
  });
}

// Some server answered settled in the epoch already at work: nothing was elected.
bool QuorumSummary::Election::rejoin() const {
  return epoch_before >= 0 && std::any_of(votes.begin(), votes.end(), [this](const auto& entry) {
           return entry.second.settled_epoch == epoch_before;
         });
}

// The winner: the leader most settled servers name. A server that settled only tells when a
// LOOKING peer asks, so failing that: the final vote of a majority of the voters; else -1.
std::int64_t QuorumSummary::Election::winner() const {
  std::map<std::int64_t, std::size_t> named_by_settled;
  std::map<std::int64_t, std::size_t> named;
  for (const auto& [sid, vote] : votes) {
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
  const auto [leader, count] = most_named(named);
  return 2 * count > votes.size() ? leader : -1;
}

void QuorumSummary::write_json(fmt::memory_buffer& out) const {
  JsonWriter json(out);
  json.begin_object();
  json.member("kind", "quorum_summary");
  json.key("elections").begin_array();
  for (const Election& election : elections_) write_election_json(json, election);
  json.end_array();
  json.member("elections_dropped", elections_dropped_);
  write_leaders_json(json);
  json.member("proposals", proposals_);
  json.member("proposals_sent", proposals_sent_);
  json.member("commits", commits_);
  json.member("acks", acks_);
  json.member("uncommitted", uncommitted_);
  json.member("snapshot_bytes", snapshot_bytes_);
  json.end_object();
  append_char(out, '\n');
}

void QuorumSummary::write_election_json(JsonWriter& json, const Election& election) {
  json.begin_object();
  json_time(json.key("start"), election.start_us);
  json_time(json.key("end"), election.last_us);
  json.member("election_epoch", election.newest_epoch());
  json.key("epochs").begin_array();
  for (const auto epoch : election.epochs) json.number(epoch);
  json.end_array();
  json.member("winner", election.winner());
  json.member("rejoin", election.rejoin());
  json.key("servers").begin_array();
  for (const auto& [sid, vote] : election.votes) {
    json.begin_object();
    json.member("sid", sid);
    json.member("vote", vote.leader);
    json.member("state", zk::quorum::peer_state_name(vote.state));
    json.member("vote_changes", vote.changes);
    json_time(json.key("settled_ts"), vote.settled_ts_us);
    json_time(json.key("synced_ts"), vote.synced_ts_us);
    json.end_object();
  }
  json.end_array();
  json.end_object();
}

void QuorumSummary::write_election_text(fmt::memory_buffer& out, const Election& election,
                                        TimestampFormatter& timestamps) {
  put(out, "  {} at ", election.rejoin() ? "rejoin" : "election");
  timestamps.append(out, election.start_us);
  put(out, "to ");
  timestamps.append(out, election.last_us);
  put(out, "(epoch {}", election.newest_epoch());
  if (election.epochs.size() > 1) {
    put(out, ", {} rounds: epochs {}", election.epochs.size(), fmt::join(election.epochs, ", "));
  }
  put(out, "): winner {}\n", election.winner());
  for (const auto& [sid, vote] : election.votes) {
    put(out, "    server {} voted {} ({} changes), {}", sid, vote.leader, vote.changes,
        zk::quorum::peer_state_name(vote.state));
    if (vote.settled_ts_us < 0) {
      put(out, " when last heard");
    } else {
      put(out, " since ");
      timestamps.append(out, vote.settled_ts_us);
      out.resize(out.size() - 1);  // the formatter's trailing space
    }
    if (vote.synced_ts_us >= 0) {
      put(out, ", in sync {} ms after it looked",
          (vote.synced_ts_us - vote.looking_ts_us) / kMicrosPerMilli);
    }
    put(out, "\n");
  }
}

void QuorumSummary::write_leaders_text(fmt::memory_buffer& out,
                                       TimestampFormatter& timestamps) const {
  for (const Reign& reign : leaders_) {
    put(out, "  leader {} (epoch {}) committing from ", reign.change.leader, reign.change.epoch);
    timestamps.append(out, reign.ts_us);
    out.resize(out.size() - 1);
    if (reign.change.unavailable_us >= 0) {
      put(out, ", {} ms after leader {}'s last commit",
          reign.change.unavailable_us / kMicrosPerMilli, reign.change.previous);
    }
    put(out, "\n");
  }
  if (leaders_dropped_ > 0) put(out, "  {} more leaders not kept\n", leaders_dropped_);
}

void QuorumSummary::write_leaders_json(JsonWriter& json) const {
  json.key("leaders").begin_array();
  for (const Reign& reign : leaders_) {
    json.begin_object();
    json_time(json.key("ts"), reign.ts_us);
    json.member("epoch", reign.change.epoch);
    json.member("leader", reign.change.leader);
    json.member("previous", reign.change.previous);
    if (reign.change.unavailable_us >= 0) {
      json.member("unavailable_ms", reign.change.unavailable_us / kMicrosPerMilli);
    } else {
      json.key("unavailable_ms").null();
    }
    json.end_object();
  }
  json.end_array();
}

void QuorumSummary::write_text(fmt::memory_buffer& out) const {
  // Relative styles would be relative to nothing here.
  const bool absolute = style_ == TimestampStyle::kDate || style_ == TimestampStyle::kEpoch;
  TimestampFormatter timestamps(absolute ? style_ : TimestampStyle::kTime);
  const auto rejoins = static_cast<std::size_t>(
      std::count_if(elections_.begin(), elections_.end(),
                    [](const Election& election) { return election.rejoin(); }));
  const std::size_t elections = elections_.size() - rejoins;
  put(out, "election summary: {} election{}, {} rejoin{}, {} leader{}\n", elections,
      elections == 1 ? "" : "s", rejoins, rejoins == 1 ? "" : "s", leaders_.size(),
      leaders_.size() == 1 ? "" : "s");
  for (const Election& election : elections_) write_election_text(out, election, timestamps);
  if (elections_dropped_ > 0) put(out, "  {} more elections not kept\n", elections_dropped_);
  write_leaders_text(out, timestamps);
  put(out,
      "zab: {} proposals (sent {} times to learners), {} commits, {} acks, {} uncommitted, {} "
      "snapshot bytes\n",
      proposals_, proposals_sent_, commits_, acks_, uncommitted_, snapshot_bytes_);
}

}  // namespace zkdump::stats
