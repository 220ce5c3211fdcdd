#include "zkdump/analysis/write_tracer.hpp"

#include <algorithm>
#include <charconv>

namespace zkdump::analysis {
namespace {

using session::QuorumMessage;
using session::WriteStage;
using session::ZkMessage;
namespace quorum = zk::quorum;

// Far more writes in flight than any ensemble has; a write unanswered this long is not traced.
constexpr std::size_t kMaxInFlight = 65536;
constexpr std::int64_t kMaxWriteAge = 60'000'000;
constexpr std::size_t kMaxPendingSyncs = 1024;

std::int64_t parse_session(std::string_view text) {
  std::uint64_t value = 0;
  if (text.size() < 3) return 0;
  std::from_chars(text.data() + 2, text.data() + text.size(), value, 16);
  return static_cast<std::int64_t>(value);
}

}  // namespace

struct WriteTracer::ClientState : session::ConnectionState {
  static constexpr std::size_t kMaxReadsBehindSync = 8;
  std::int64_t session = 0;
  std::int32_t sync_xid = 0;               // a sync awaiting its reply, 0 none
  Events sync_events{-1, -1, -1, -1, -1};  // the last answered sync's forward and SYNC
  // Reads sent while a sync awaited its reply: the follower answers them after it.
  std::array<std::int32_t, kMaxReadsBehindSync> reads_behind_sync{};
  std::size_t reads = 0;

  // A sync, and the reads sent behind it: a follower answers them once the leader caught it up.
  void on_request(const zk::Request& request) {
    if (request.op == nullptr) return;
    if (request.op->route == zk::OpRoute::kSync) {
      sync_xid = request.xid;
    } else if (request.op->route == zk::OpRoute::kLocal && sync_xid != 0 &&
               request.facts.path.size > 0 && reads < reads_behind_sync.size()) {
      reads_behind_sync[reads++] = request.xid;
    }
  }
  bool take_read_behind_sync(std::int32_t xid) {
    for (std::size_t i = 0; i < reads; ++i) {
      if (reads_behind_sync[i] != xid) continue;
      reads_behind_sync[i] = reads_behind_sync[--reads];
      return true;
    }
    return false;
  }
};

struct WriteTracer::LearnerState : session::ConnectionState {
  std::uint64_t id = 0;
  bool acked = false;
  Ring<ClientKey> syncs;  // forwarded, awaiting the leader's SYNC, which names none: in order
};

std::size_t WriteTracer::ClientKeyHash::operator()(const ClientKey& key) const {
  const auto session = static_cast<std::uint64_t>(key.session);
  return std::hash<std::uint64_t>()(session * 0x9e3779b97f4a7c15ULL ^
                                    static_cast<std::uint32_t>(key.cxid));
}

WriteTracer::WriteTracer(session::Sinks& sinks, bool always)
    : sinks_(sinks),
      always_(always),
      requests_(kMaxInFlight, kMaxWriteAge),
      txns_(kMaxInFlight, kMaxWriteAge) {}

void WriteTracer::open(session::Connection& connection) {
  if (connection.protocol == session::Protocol::kZooKeeper) {
    auto state = std::make_unique<ClientState>();
    state->session = parse_session(connection.session);
    connection.sink_state[state_index_] = std::move(state);
  } else if (connection.protocol == session::Protocol::kZab) {
    auto state = std::make_unique<LearnerState>();
    state->id = next_learner_++;
    connection.sink_state[state_index_] = std::move(state);
  }
}

void WriteTracer::close(session::Connection& connection) {
  if (connection.protocol == session::Protocol::kZab &&
      connection.state<LearnerState>(state_index_).acked) {
    --followers_acking_;
  }
  connection.sink_state[state_index_].reset();
}

void WriteTracer::zk(const ZkMessage& message) {
  auto& client = message.connection->state<ClientState>(state_index_);
  if (const auto* response = message.as<zk::ConnectResponse>()) {
    if (!response->expired()) client.session = response->session_id;
    return;
  }
  if (const auto* request = message.as<zk::Request>()) return client.on_request(*request);
  const auto* reply = message.as<zk::Reply>();
  if (reply == nullptr || message.outstanding == nullptr) return;
  const zk::OpInfo* op = message.outstanding->op;
  if (op == nullptr) return;
  if (op->route == zk::OpRoute::kLocal) {
    if (client.sync_xid == 0 && client.take_read_behind_sync(message.outstanding->xid)) {
      emit(message, *reply, client.session, 0, client.sync_events);
    }
    return;
  }
  const Events events = on_reply(message, *reply, client.session);
  if (op->route == zk::OpRoute::kSync && message.outstanding->xid == client.sync_xid) {
    client.sync_events = events;
    client.sync_xid = 0;
  }
}

void WriteTracer::quorum(const QuorumMessage& message) {
  const auto* packet = message.as<quorum::ZabPacket>();
  if (packet == nullptr || message.connection->protocol != session::Protocol::kZab) return;
  auto& learner = message.connection->state<LearnerState>(state_index_);
  const std::int64_t now = message.ts_us;
  requests_.expire(now);
  txns_.expire(now);
  switch (packet->packet.type) {
    case quorum::kRequest:
      if (message.direction == Direction::kToServer) on_request(message, *packet, learner);
      break;
    case quorum::kProposal:
      if (message.direction == Direction::kToClient && message.broadcast)
        on_proposal(message, *packet);
      break;
    case quorum::kAck:
      if (message.direction == Direction::kToServer && message.broadcast)
        on_ack(message, *packet, learner);
      break;
    case quorum::kCommit:
    case quorum::kCommitAndActivate:
    case quorum::kInform:
      if (message.direction == Direction::kToClient) on_commit(message, *packet, learner);
      break;
    case quorum::kSync:
      if (message.direction == Direction::kToClient) on_sync(message, learner);
      break;
    default:
      break;
  }
}

void WriteTracer::on_request(const QuorumMessage& message, const quorum::ZabPacket& packet,
                             LearnerState& learner) {
  const quorum::TxnFacts& txn = packet.txn;
  if (!packet.data_decoded) return;
  const ClientKey key{txn.session, txn.cxid};
  Forwarded& forwarded = requests_.at(key, message.ts_us);
  if (forwarded.forward_us < 0) forwarded.forward_us = message.ts_us;
  forwarded.learner = learner.id;
  const zk::OpInfo* op = zk::find_op(txn.type);
  if (op != nullptr && op->route == zk::OpRoute::kSync && learner.syncs.size() < kMaxPendingSyncs) {
    learner.syncs.push_back() = key;
  }
}

// The leader sends each learner a copy: the earliest one is when it proposed.
void WriteTracer::on_proposal(const QuorumMessage& message, const quorum::ZabPacket& packet) {
  zab_seen_ = true;
  const std::int64_t zxid = packet.packet.zxid;
  Txn& txn = txns_.at(zxid, message.ts_us);
  if (txn.propose_us >= 0) {
    txn.propose_us = std::min(txn.propose_us, message.ts_us);
    return;
  }
  txn.propose_us = message.ts_us;
  txn.acks_needed = acks_for_quorum(message.ensemble);
  if (message.ensemble != nullptr && message.ensemble->joint(zxid)) {
    txn.joint_acks_needed = message.ensemble->follower_acks_for_proposed();
  }
  const quorum::TxnFacts& facts = packet.txn;
  if (!packet.data_decoded) return;
  Forwarded& forwarded = requests_.at({facts.session, facts.cxid}, message.ts_us);
  forwarded.zxid = zxid;
  txn.learner = forwarded.learner;
}

// A majority of the voters the config names (or --ensemble-size), the leader's own ACK among
// them: with 3 voters one follower's ACK makes the quorum, with 5 two. Without either, the
// followers whose links to the leader ACK now are the voters besides it.
std::uint32_t WriteTracer::acks_for_quorum(const session::EnsembleView* ensemble) const {
  const std::int64_t named = ensemble != nullptr ? ensemble->follower_acks_for_quorum() : -1;
  if (named >= 0) return static_cast<std::uint32_t>(named);
  return std::max<std::uint32_t>(1, (followers_acking_ + 1) / 2);
}

void WriteTracer::EarliestAcks::add(std::int64_t ts_us) {
  std::size_t at = std::min<std::size_t>(count_, kKept);
  if (at == kKept && ts_us >= ts_us_[kKept - 1]) return;  // only the earliest matter
  if (at == kKept) --at;
  while (at > 0 && ts_us_[at - 1] > ts_us) {
    ts_us_[at] = ts_us_[at - 1];
    --at;
  }
  ts_us_[at] = ts_us;
  ++count_;
}

std::int64_t WriteTracer::EarliestAcks::time_of(std::int64_t needed) const {
  if (needed <= 0) return 0;
  const auto index = static_cast<std::size_t>(std::min<std::int64_t>(needed, kKept)) - 1;
  return count_ >= needed ? ts_us_[index] : -1;
}

void WriteTracer::on_ack(const QuorumMessage& message, const quorum::ZabPacket& packet,
                         LearnerState& learner) {
  if (!learner.acked) {
    learner.acked = true;
    ++followers_acking_;
  }
  Txn* txn = txns_.find(packet.packet.zxid);
  if (txn == nullptr) return;
  const session::EnsembleView* ensemble = message.ensemble;
  const std::int64_t sid = message.learner_sid;
  if (ensemble == nullptr || ensemble->votes(sid)) txn->acks.add(message.ts_us);
  if (txn->joint_acks_needed >= 0 && ensemble != nullptr && ensemble->votes_in_proposed(sid)) {
    txn->joint_acks.add(message.ts_us);
  }
}

// The ACK that made the majority (of both configs, during a reconfig); the proposal itself when
// the leader alone votes.
std::int64_t WriteTracer::quorum_time(const Txn& txn) {
  const std::int64_t in_force = txn.acks.time_of(txn.acks_needed);
  const std::int64_t joint = txn.joint_acks.time_of(txn.joint_acks_needed);
  if (in_force < 0 || joint < 0) return -1;
  return std::max({in_force, joint, txn.propose_us});
}

void WriteTracer::on_commit(const QuorumMessage& message, const quorum::ZabPacket& packet,
                            const LearnerState& learner) {
  Txn* txn = txns_.find(packet.packet.zxid);
  if (txn != nullptr && txn->learner == learner.id && txn->commit_us < 0) {
    txn->commit_us = message.ts_us;
  }
}

void WriteTracer::on_sync(const QuorumMessage& message, LearnerState& learner) {
  if (learner.syncs.empty()) return;
  Forwarded* forwarded = requests_.find(learner.syncs.front());
  learner.syncs.pop_front();
  if (forwarded != nullptr && forwarded->sync_us < 0) forwarded->sync_us = message.ts_us;
}

// A write's (or sync's) events, the ZAB links showed them, then its trace.
WriteTracer::Events WriteTracer::on_reply(const ZkMessage& message, const zk::Reply& reply,
                                          std::int64_t session) {
  const session::Outstanding& request = *message.outstanding;
  const ClientKey key{session, request.xid};
  const Forwarded* forwarded = session != 0 ? requests_.find(key) : nullptr;
  const std::int64_t zxid =
      forwarded != nullptr && forwarded->zxid != 0 ? forwarded->zxid : reply.header.zxid;
  const Txn* txn = request.op->route == zk::OpRoute::kTxn ? txns_.find(zxid) : nullptr;
  const Events events = {
      forwarded != nullptr ? forwarded->forward_us : -1,
      txn != nullptr ? txn->propose_us : -1,
      txn != nullptr ? quorum_time(*txn) : -1,
      txn != nullptr && txn->learner != 0 ? txn->commit_us : -1,
      forwarded != nullptr ? forwarded->sync_us : -1,
  };
  if (forwarded != nullptr) requests_.erase(key);
  if (txn != nullptr) txns_.erase(zxid);
  emit(message, reply, session, txn != nullptr ? zxid : 0, events);
  return events;
}

// Stages run from the request through each event the capture showed, in order, to the reply; an
// event stamped before the one it follows (a capture that reordered them, or a sync's forward
// before the read behind it was sent) is left out.
void WriteTracer::emit(const ZkMessage& message, const zk::Reply& reply, std::int64_t session,
                       std::int64_t zxid, const Events& events) {
  if (!always_ && !zab_seen_) return;
  const session::Outstanding& request = *message.outstanding;
  session::WriteTrace trace;
  trace.connection = message.connection;
  trace.op = request.op;
  trace.path = request.path;
  trace.session = session;
  trace.xid = request.xid;
  trace.zxid = zxid;
  trace.err = reply.error();
  trace.ts_us = message.ts_us;
  trace.total_us = message.latency_us;
  trace.selected = message.selection != session::Selection::kNo;
  std::int64_t previous = request.ts_us;
  for (std::size_t stage = 0; stage < events.size(); ++stage) {
    if (events[stage] < previous || events[stage] > message.ts_us) continue;
    trace.stages_us[stage] = events[stage] - previous;
    previous = events[stage];
  }
  trace.stages_us[static_cast<std::size_t>(WriteStage::kReply)] =
      std::max<std::int64_t>(0, trace.total_us - (previous - request.ts_us));
  sinks_.write_trace(trace);
}

}  // namespace zkdump::analysis
