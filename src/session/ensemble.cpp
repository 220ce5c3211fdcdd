#include "zkdump/session/ensemble.hpp"

#include <algorithm>

namespace zkdump::session {

namespace quorum = zk::quorum;

Ensemble::Config Ensemble::read_config(std::string_view config) {
  Config read{{}, quorum::config_version(config)};
  for (const quorum::ServerPorts& server : quorum::config_servers(config)) {
    if (!server.observer) read.voter_sids.push_back(server.sid);
  }
  std::sort(read.voter_sids.begin(), read.voter_sids.end());
  read.voter_sids.erase(std::unique(read.voter_sids.begin(), read.voter_sids.end()),
                        read.voter_sids.end());
  return read;
}

void Ensemble::adopt(const Config& config) {
  if (config.voter_sids.empty() || (config_seen_ && config.version < config_version_)) return;
  config_seen_ = true;
  config_version_ = config.version;
  view_.voters = static_cast<std::uint32_t>(config.voter_sids.size());
  view_.voter_sids = config.voter_sids;
}

void Ensemble::learn_config(std::string_view config) {
  adopt(read_config(config));
}

void Ensemble::propose_config(std::int64_t zxid, std::string_view config) {
  if (zxid == view_.proposed_zxid) return;  // the copy to another learner
  proposed_ = read_config(config);
  if (proposed_.voter_sids.empty()) return;
  view_.proposed_zxid = zxid;
  view_.proposed_voter_sids = proposed_.voter_sids;
}

void Ensemble::activate_config(std::int64_t zxid) {
  if (zxid != view_.proposed_zxid) return;
  adopt(proposed_);
  view_.proposed_zxid = -1;
  view_.proposed_voter_sids.clear();
}

void Ensemble::learn_vote(const quorum::Notification& notification) {
  constexpr std::int32_t kFollowing = 1;
  constexpr std::int32_t kLeading = 2;
  if (notification.state != kFollowing && notification.state != kLeading) return;
  if (view_.leader_address.empty()) {  // no ZAB yet: the election tells
    if (notification.peer_epoch >= view_.epoch) {
      view_.leader = notification.leader;
      view_.epoch = notification.peer_epoch;
    }
  } else if (view_.leader < 0 && notification.peer_epoch == view_.epoch) {
    view_.leader = notification.leader;
  }
}

// What the packet says of its sender's epoch: a new leader's LEADERINFO and NEWLEADER carry it, and
// so does every zxid it proposes, commits or pings with once in broadcast. A sync's replay of older
// proposals does not.
std::int64_t Ensemble::epoch_of(const quorum::QuorumPacket& packet, bool broadcast) {
  switch (packet.type) {
    case quorum::kLeaderInfo:
    case quorum::kNewLeader:
      return quorum::zxid_epoch(packet.zxid);
    case quorum::kProposal:
    case quorum::kCommit:
    case quorum::kCommitAndActivate:
    case quorum::kInform:
    case quorum::kInformAndActivate:
    case quorum::kPing:
      return broadcast ? quorum::zxid_epoch(packet.zxid) : -1;
    default:
      return -1;
  }
}

bool Ensemble::follows_reign(std::string_view address, std::int64_t epoch,
                             std::int64_t leader_before) {
  const bool same_leader = address == view_.leader_address;
  if (same_leader && epoch <= view_.epoch) return true;
  if (epoch < 0 || (epoch <= view_.epoch && !view_.leader_address.empty())) return same_leader;
  if (view_.leader_address.empty() && epoch == view_.epoch) {  // the leader the election named
    view_.leader_address = address;
    ++view_.leaders;
    return true;
  }
  previous_ = view_.leader_address.empty() ? -1 : leader_before;
  previous_last_commit_us_ = last_commit_us_;
  last_commit_us_ = -1;
  announced_ = false;
  view_.leader_address = address;
  view_.leader = -1;
  view_.epoch = epoch;
  ++view_.leaders;
  return true;
}

std::optional<LeaderChange> Ensemble::on_commit(const quorum::QuorumPacket& packet, bool broadcast,
                                                std::int64_t ts_us) {
  if (!broadcast || !quorum::is_commit(packet.type)) {
    return std::nullopt;
  }
  std::optional<LeaderChange> change;
  if (!announced_) {
    announced_ = true;
    change = LeaderChange{view_.epoch, view_.leader, view_.leader_address, previous_,
                          previous_last_commit_us_ >= 0 ? ts_us - previous_last_commit_us_ : -1};
  }
  last_commit_us_ = ts_us;
  return change;
}

}  // namespace zkdump::session
