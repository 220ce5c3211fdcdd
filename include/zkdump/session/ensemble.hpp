// What the server-to-server traffic says of the ensemble as a whole, across its connections: which
// servers vote (the newest config the servers exchanged, else --ensemble-size), which one leads,
// and in which epoch. The leader is the server its learners' ZAB links go to: known from the first
// packet it sends, also on a capture that starts mid-reign, and named by sid once a config or a
// settled election notification maps its address.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zkdump/zk/quorum.hpp"

namespace zkdump::session {

// Who leads and who votes, as every quorum message carries it to the sinks.
struct EnsembleView {
  std::int64_t leader = -1;              // its sid; -1 while unknown
  std::string leader_address;            // its quorum port, "host:port"; empty before ZAB was seen
  std::int64_t epoch = -1;               // the leader's epoch: the high half of its zxids
  std::uint32_t voters = 0;              // the voting servers; 0 while unknown
  std::vector<std::int64_t> voter_sids;  // theirs, sorted, when a config named them
  std::uint32_t leaders = 0;             // reigns seen, the first one included

  // A reconfig proposed and not yet committed: until it is, a proposal after it needs a majority
  // of these voters too (ZooKeeper's joint consensus).
  std::int64_t proposed_zxid = -1;
  std::vector<std::int64_t> proposed_voter_sids;

  // Whether the learner `sid` votes: one the config does not name does not (a server added but
  // not yet reconfigured in), an unnamed one is taken to.
  bool votes(std::int64_t sid) const { return votes_in(voter_sids, sid); }
  bool votes_in_proposed(std::int64_t sid) const { return votes_in(proposed_voter_sids, sid); }
  bool joint(std::int64_t zxid) const { return proposed_zxid >= 0 && zxid >= proposed_zxid; }

  // The follower ACKs that, with the leader's own if it votes, make a majority; -1 while the voters
  // are unknown.
  std::int64_t follower_acks_for_quorum() const {
    if (!voter_sids.empty()) return follower_acks_among(voter_sids);
    return voters == 0 ? -1 : static_cast<std::int64_t>(voters / 2);
  }
  std::int64_t follower_acks_for_proposed() const {
    return follower_acks_among(proposed_voter_sids);
  }

 private:
  static bool votes_in(const std::vector<std::int64_t>& sids, std::int64_t sid) {
    return sid < 0 || sids.empty() || std::binary_search(sids.begin(), sids.end(), sid);
  }
  std::int64_t follower_acks_among(const std::vector<std::int64_t>& sids) const {
    const auto majority = static_cast<std::int64_t>(sids.size() / 2 + 1);
    return majority - (votes_in(sids, leader) ? 1 : 0);  // an unnamed leader is taken to vote
  }
};

// A new leader at work, told at its first COMMIT: the moment writes complete again.
struct LeaderChange {
  std::int64_t epoch = -1;
  std::int64_t leader = -1;          // -1 while unnamed
  std::string_view address;          // its quorum port, "host:port"
  std::int64_t previous = -1;        // the leader before it; -1 when none was seen or it is unnamed
  std::int64_t unavailable_us = -1;  // the previous leader's last COMMIT to this one's first
};

class Ensemble {
 public:
  explicit Ensemble(std::uint32_t ensemble_size) { view_.voters = ensemble_size; }
  const EnsembleView& view() const { return view_; }

  // A config the servers exchanged: its participants vote from now on, unless a newer version was
  // seen already.
  void learn_config(std::string_view config);
  // A reconfig's proposal holds the config its COMMITANDACTIVATE makes the one in force.
  void propose_config(std::int64_t zxid, std::string_view config);
  void activate_config(std::int64_t zxid);
  // A notification of a server that settled names the leader of its epoch.
  void learn_vote(const zk::quorum::Notification& notification);
  // Every packet the leading side of a ZAB link sends, from `address`; `sid_at` names an address's
  // server (-1 when unknown). A new leader's first COMMIT returns its change.
  template <typename SidAt>
  std::optional<LeaderChange> leader_sent(std::string_view address, SidAt sid_at,
                                          const zk::quorum::QuorumPacket& packet, bool broadcast,
                                          std::int64_t ts_us) {
    const std::int64_t epoch = epoch_of(packet, broadcast);
    // A leader unnamed during its reign may be named by the config its successor's election
    // carried.
    const std::int64_t named_before =
        view_.leader >= 0 ? view_.leader : sid_at(view_.leader_address);
    if (!follows_reign(address, epoch, named_before)) return std::nullopt;
    if (view_.leader < 0) view_.leader = sid_at(view_.leader_address);
    return on_commit(packet, broadcast, ts_us);
  }

 private:
  static std::int64_t epoch_of(const zk::quorum::QuorumPacket& packet, bool broadcast);
  // False for a packet of a leader the ensemble moved on from; begins a reign when it is a new
  // one's.
  bool follows_reign(std::string_view address, std::int64_t epoch, std::int64_t leader_before);
  std::optional<LeaderChange> on_commit(const zk::quorum::QuorumPacket& packet, bool broadcast,
                                        std::int64_t ts_us);

  struct Config {
    std::vector<std::int64_t> voter_sids;  // sorted
    std::int64_t version = -1;
  };
  static Config read_config(std::string_view config);
  void adopt(const Config& config);

  EnsembleView view_;
  std::int64_t config_version_ = -1;
  bool config_seen_ = false;
  Config proposed_;  // the reconfig's, at view_.proposed_zxid
  std::int64_t previous_ = -1;
  std::int64_t previous_last_commit_us_ = -1;
  std::int64_t last_commit_us_ = -1;
  bool announced_ = false;
};

}  // namespace zkdump::session
