// Where a write spends its time. A capture on a server host sees a client's write, the follower
// forwarding it to the leader (REQUEST), the leader's PROPOSAL, the followers' ACKs, the COMMIT
// and the reply; the txn header's (session, cxid) is the client's (session, xid), so each reply
// of a write (or sync) gets a WriteTrace with the stages the capture showed, none invented. A
// read sent while a sync awaited its reply is traced too: its sync stage is the sync's.
#pragma once

#include <array>
#include <cstdint>

#include "zkdump/analysis/aging_table.hpp"
#include "zkdump/session/sink.hpp"

namespace zkdump::analysis {

class WriteTracer final : public session::Sink {
 public:
  // `always`: trace every write, even before any ZAB traffic was seen (--trace-writes).
  WriteTracer(session::Sinks& sinks, bool always);

  void open(session::Connection& connection) override;
  void close(session::Connection& connection) override;
  void zk(const session::ZkMessage& message) override;
  void quorum(const session::QuorumMessage& message) override;

  // Entries forgotten to make room before their reply came (their clients were not captured).
  std::uint64_t forgotten() const { return requests_.evicted() + txns_.evicted(); }

 private:
  struct ClientKey {
    std::int64_t session = 0;
    std::int32_t cxid = 0;
    bool operator==(const ClientKey&) const = default;
  };
  struct ClientKeyHash {
    std::size_t operator()(const ClientKey& key) const;
  };
  // What the ZAB link showed of a client's request before its zxid was known.
  struct Forwarded {
    std::int64_t forward_us = -1;
    std::int64_t sync_us = -1;
    std::int64_t zxid = 0;
    std::uint64_t learner = 0;  // the link it was forwarded on, 0 none
  };
  // The earliest ACKs of one set of voters, by their time: links whose bytes were held (a
  // connection detection had not yet recognised) deliver theirs late, so arrival order is not
  // time order. Enough for the majority of 17 voters.
  class EarliestAcks {
   public:
    static constexpr std::size_t kKept = 8;
    void add(std::int64_t ts_us);
    // When the `needed`th ACK came; -1 before it did.
    std::int64_t time_of(std::int64_t needed) const;

   private:
    std::array<std::int64_t, kKept> ts_us_{};
    std::uint32_t count_ = 0;
  };
  struct Txn {
    std::int64_t propose_us = -1;
    std::int64_t commit_us = -1;
    std::uint64_t learner = 0;      // the link whose COMMIT counts: the forwarding follower's
    std::uint32_t acks_needed = 1;  // followers', when it was proposed
    EarliestAcks acks;
    std::int64_t joint_acks_needed = -1;  // proposed while a reconfig was: its voters' too
    EarliestAcks joint_acks;
  };
  // When each stage's event happened (-1: not seen), by WriteStage, the reply aside.
  using Events = std::array<std::int64_t, session::kWriteStages - 1>;
  struct ClientState;
  struct LearnerState;

  void on_request(const session::QuorumMessage& message, const zk::quorum::ZabPacket& packet,
                  LearnerState& learner);
  void on_proposal(const session::QuorumMessage& message, const zk::quorum::ZabPacket& packet);
  void on_ack(const session::QuorumMessage& message, const zk::quorum::ZabPacket& packet,
              LearnerState& learner);
  static std::int64_t quorum_time(const Txn& txn);
  void on_commit(const session::QuorumMessage& message, const zk::quorum::ZabPacket& packet,
                 const LearnerState& learner);
  void on_sync(const session::QuorumMessage& message, LearnerState& learner);
  Events on_reply(const session::ZkMessage& message, const zk::Reply& reply, std::int64_t session);
  void emit(const session::ZkMessage& message, const zk::Reply& reply, std::int64_t session,
            std::int64_t zxid, const Events& events);
  std::uint32_t acks_for_quorum(const session::EnsembleView* ensemble) const;

  session::Sinks& sinks_;
  bool always_;
  bool zab_seen_ = false;
  std::uint64_t next_learner_ = 1;
  std::uint32_t followers_acking_ = 0;  // open links that ACKed: voters besides the leader
  AgingTable<ClientKey, Forwarded, ClientKeyHash> requests_;
  AgingTable<std::int64_t, Txn> txns_;
};

}  // namespace zkdump::analysis
