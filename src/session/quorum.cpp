#include "zkdump/session/quorum.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "zkdump/session/conversation.hpp"
#include "zkdump/session/elapsed.hpp"
#include "zkdump/zk/quorum.hpp"
#include "zkdump/zk/quorum_frames.hpp"

namespace zkdump::session {
namespace {

namespace quorum = zk::quorum;

constexpr std::size_t kMaxRememberedProposals = 65536;  // per connection
constexpr std::size_t kMaxPendingRevalidations = 4096;  // per connection
constexpr std::size_t kMaxLearnedServers = 256;
constexpr std::size_t kMaxLearnedAddresses = 4 * kMaxLearnedServers;  // 2 ports, 2 names

// The proposals a learner connection still waits on, oldest first. A leader proposes in zxid
// order, so the window stays sorted and a zxid is found by bisection; the ring reuses its
// storage, so steady traffic allocates nothing.
class ProposalWindow {
 public:
  struct Entry {
    std::int64_t zxid = 0;
    std::int64_t ts_us = 0;
    bool acked = false;
    bool committed = false;
  };

  // False, and not remembered, when `zxid` is not newer than the newest: only junk does that.
  bool add(const Entry& entry) {
    if (size_ > 0 && entry.zxid <= at(size_ - 1).zxid) return false;
    if (size_ == kMaxRememberedProposals) pop_front();  // the oldest is given up
    if (size_ == ring_.size()) grow();
    ++size_;
    at(size_ - 1) = entry;
    return true;
  }
  Entry* find(std::int64_t zxid) {
    std::size_t low = 0;
    std::size_t high = size_;
    while (low < high) {
      const std::size_t middle = low + (high - low) / 2;
      if (at(middle).zxid < zxid) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low < size_ && at(low).zxid == zxid ? &at(low) : nullptr;
  }
  // Forgets the oldest proposals once both their ACK and their COMMIT came.
  void retire_done() {
    while (size_ > 0 && at(0).acked && at(0).committed) pop_front();
  }
  template <typename Visit>
  void for_each(Visit visit) {
    for (std::size_t i = 0; i < size_; ++i) visit(at(i));
  }

 private:
  Entry& at(std::size_t index) { return ring_[(head_ + index) & (ring_.size() - 1)]; }
  void pop_front() {
    head_ = (head_ + 1) & (ring_.size() - 1);
    --size_;
  }
  void grow() {  // sizes stay powers of two, up to kMaxRememberedProposals
    std::vector<Entry> bigger(std::max<std::size_t>(16, ring_.size() * 2));
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = at(i);
    ring_ = std::move(bigger);
    head_ = 0;
  }

  std::vector<Entry> ring_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};
static_assert((kMaxRememberedProposals & (kMaxRememberedProposals - 1)) == 0);

// Shared by both protocols: the connection, and the problems its streams report.
class QuorumConnection : public Conversation {
 public:
  QuorumConnection(QuorumShared& shared, Connection connection, bool from_start)
      : Conversation(shared.budget, from_start),
        shared_(shared),
        connection_(std::move(connection)) {
    shared_.sinks.open(connection_);
  }
  Connection& connection() override { return connection_; }

 protected:
  // The client side is the connecting server (election) or the learner (ZAB).
  void on_message(Direction direction, ByteSpan bytes, std::uint8_t tag, std::uint64_t,
                  std::int64_t ts_us) final {
    on_quorum_message(direction == Direction::kToServer, bytes, tag, ts_us);
  }
  virtual void on_quorum_message(bool from_client, ByteSpan bytes, std::uint8_t tag,
                                 std::int64_t ts_us) = 0;
  void on_problem(Direction direction, framing::Problem problem, std::uint64_t offset,
                  std::int64_t count, std::int64_t ts_us) final {
    shared_.sinks.problem({&connection_, direction, problem, offset, count, ts_us});
  }
  void ended(tcp::CloseReason reason, std::int64_t ts_us) final {
    closed(ts_us);
    shared_.sinks.closing(connection_, reason, ts_us);
    shared_.sinks.close(connection_);
  }
  virtual void closed(std::int64_t) {}

  QuorumMessage message_at(bool from_client, std::int64_t ts_us) {
    QuorumMessage message;
    message.connection = &connection_;
    message.direction = from_client ? Direction::kToServer : Direction::kToClient;
    message.ts_us = ts_us;
    return message;
  }

  QuorumShared& shared_;
  Connection connection_;
};

// Leader election: the connecting server's header, then notifications both ways.
class ElectionConnection final : public QuorumConnection {
 public:
  ElectionConnection(QuorumShared& shared, Connection connection, bool from_start)
      : QuorumConnection(shared, std::move(connection), from_start),
        frames_{{true, from_start}, {false, from_start}} {}

 protected:
  framing::Protocol& protocol(Direction side) override { return frames_[index_of(side)]; }

  void on_quorum_message(bool from_initiator, ByteSpan bytes, std::uint8_t tag,
                         std::int64_t ts_us) override {
    QuorumMessage message = message_at(from_initiator, ts_us);
    if (static_cast<quorum::ElectionTag>(tag) == quorum::ElectionTag::kHeader) {
      quorum::ElectionHeader header;
      quorum::parse_election_header(bytes, header);
      initiator_sid_ = header.sid;
      if (header.protocol_version != 0)
        shared_.learn_addresses(header.addresses.view(), header.sid);
      message.body = std::cref(header);
      shared_.deliver(message);
      return;
    }
    ByteSpan payload;
    quorum::parse_election_message(bytes, payload);
    quorum::Notification notification;
    quorum::decode_notification(payload, notification);
    if (notification.config.size > 0) shared_.learn_config(notification.config.view());
    shared_.ensemble.learn_vote(notification);
    const std::int64_t acceptor_sid = shared_.sid_at(connection_.server);
    message.body = ElectionNotification{std::cref(notification),
                                        {from_initiator ? initiator_sid_ : acceptor_sid,
                                         from_initiator ? acceptor_sid : initiator_sid_}};
    shared_.deliver(message);
  }

 private:
  quorum::ElectionFrames frames_[2];
  std::int64_t initiator_sid_ = -1;
};

// Atomic broadcast: QuorumPackets both ways, the learner being the connecting side.
class ZabConnection final : public QuorumConnection {
 public:
  ZabConnection(QuorumShared& shared, Connection connection, bool from_start)
      : QuorumConnection(shared, std::move(connection), from_start),
        follower_(connection_.client),
        broadcasting_(!from_start) {}

 protected:
  framing::Protocol& protocol(Direction side) override { return frames_[index_of(side)]; }
  void on_quorum_message(bool from_learner, ByteSpan bytes, std::uint8_t tag,
                         std::int64_t ts_us) override;
  void closed(std::int64_t ts_us) override;

 private:
  void on_packet(bool from_learner, ByteSpan bytes, std::int64_t ts_us);
  void learn_ports(const quorum::ZabPacket& packet);
  void report_snapshot(std::int64_t ts_us, bool complete);
  // A PROPOSAL is remembered by zxid until both its ACK (from the learner) and its COMMIT (from
  // the leader) showed the time since: a slow follower's ACK can come after the COMMIT that a
  // faster quorum earned. Proposals replayed during the sync get no ACK of their own.
  void pair(const quorum::QuorumPacket& packet, bool from_learner, QuorumMessage& message);
  // A learner asks the leader whether a session that reconnected to it is still valid; the
  // leader's answer names the same session.
  void pair_revalidate(std::int64_t session, bool from_learner, QuorumMessage& message);
  void name_learner(std::int64_t sid) {
    learner_sid_ = sid;
    follower_ = fmt::format("server.{}", sid);
  }

  quorum::ZabFrames frames_[2];
  std::string follower_;  // server.N once the learner's FOLLOWERINFO or a config names it
  std::int64_t learner_sid_ = -1;
  std::uint64_t configs_seen_ = 0;  // configs learned when the learner's host was last looked up
  // Past the sync: after the leader's NEWLEADER, or from the first byte seen of a capture that
  // joined later.
  bool broadcasting_;
  std::uint64_t snapshot_bytes_ = 0;
  std::int64_t snapshot_start_ts_ = 0;
  ProposalWindow proposals_;
  std::unordered_map<std::int64_t, std::int64_t> revalidating_;  // session > when asked
};

void ZabConnection::on_quorum_message(bool from_learner, ByteSpan bytes, std::uint8_t tag,
                                      std::int64_t ts_us) {
  switch (static_cast<quorum::ZabTag>(tag)) {
    case quorum::ZabTag::kPacket:
      return on_packet(from_learner, bytes, ts_us);
    case quorum::ZabTag::kSnapshotChunk:
      snapshot_bytes_ += bytes.size();
      return;
    case quorum::ZabTag::kSnapshotDone:
      snapshot_bytes_ += bytes.size();
      return report_snapshot(ts_us, true);
  }
}

void ZabConnection::on_packet(bool from_learner, ByteSpan bytes, std::int64_t ts_us) {
  quorum::QuorumPacket raw;
  quorum::parse_quorum_packet(bytes, quorum::kMaxQuorumData, raw);
  const quorum::ZabPacket packet = quorum::decode_zab_packet(raw, from_learner);
  if (packet.learner_sid >= 0 && from_learner) name_learner(packet.learner_sid);
  if (learner_sid_ < 0 && configs_seen_ != shared_.configs) {  // a link joined mid-way
    configs_seen_ = shared_.configs;
    const std::int64_t sid = shared_.sid_on_host(connection_.client_host());
    if (sid >= 0) name_learner(sid);
  }
  QuorumMessage message = message_at(from_learner, ts_us);
  message.body = std::cref(packet);
  message.broadcast = broadcasting_;
  message.follower = follower_;
  message.learner_sid = learner_sid_;
  pair(raw, from_learner, message);
  if (raw.type == quorum::kRevalidate) pair_revalidate(packet.txn.session, from_learner, message);
  std::optional<LeaderChange> change;
  if (!from_learner) {
    change = shared_.ensemble.leader_sent(
        connection_.server, [this](std::string_view address) { return shared_.sid_at(address); },
        raw, broadcasting_, ts_us);
  }
  if (!from_learner) learn_ports(packet);  // a reconfig's proposal counts for itself
  shared_.deliver(message);
  if (change) {
    QuorumMessage announcement = message_at(false, ts_us);
    announcement.body = *change;
    shared_.deliver(announcement);
  }
  if (raw.type == quorum::kNewLeader && !from_learner) broadcasting_ = true;
  if (raw.type == quorum::kSnap && !from_learner) {
    frames_[1].expect_snapshot();
    snapshot_start_ts_ = ts_us;
    snapshot_bytes_ = 0;
  }
}

// A config names every server's ports at once: NEWLEADER's (3.5+) and COMMITANDACTIVATE's, after
// the suggested leader, and a reconfig's txn (the PROPOSAL, INFORMANDACTIVATE), whose SetDataTxn
// holds the new config after its header and path.
void ZabConnection::learn_ports(const quorum::ZabPacket& packet) {
  constexpr std::int32_t kReconfigTxn = 16;
  constexpr std::size_t kSuggestedLeader = 8;
  const std::string_view data = packet.packet.data.view();
  switch (packet.packet.type) {
    case quorum::kNewLeader:
      return shared_.learn_config(data);
    case quorum::kCommitAndActivate:
      shared_.ensemble.activate_config(packet.packet.zxid);
      if (data.size() > kSuggestedLeader) shared_.learn_config(data.substr(kSuggestedLeader));
      return;
    case quorum::kProposal:
    case quorum::kInformAndActivate:
      if (packet.txn.type == kReconfigTxn && packet.data_decoded) {
        // A proposal's config is in force once committed; an observer learns it committed.
        const std::string_view config = packet.txn.data.view();
        if (packet.packet.type == quorum::kProposal) {
          shared_.ensemble.propose_config(packet.packet.zxid, config);
          shared_.learn_addresses_and_ports(config);
        } else {
          shared_.learn_config(config);
        }
      }
      return;
    default:
      return;
  }
}

void ZabConnection::report_snapshot(std::int64_t ts_us, bool complete) {
  QuorumMessage message = message_at(false, ts_us);
  message.body = Snapshot{snapshot_bytes_, elapsed_us(snapshot_start_ts_, ts_us), complete};
  shared_.deliver(message);
  snapshot_bytes_ = 0;
}

void ZabConnection::closed(std::int64_t ts_us) {
  if (frames_[1].in_snapshot()) report_snapshot(ts_us, false);  // the close cut it off
  proposals_.for_each([&](const ProposalWindow::Entry& proposal) {
    if (proposal.committed) return;
    QuorumMessage message = message_at(false, ts_us);
    message.body = Uncommitted{proposal.zxid};
    shared_.deliver(message);
  });
}

void ZabConnection::pair(const quorum::QuorumPacket& packet, bool from_learner,
                         QuorumMessage& message) {
  if (packet.type == quorum::kProposal && !from_learner) {
    proposals_.add({packet.zxid, message.ts_us, !broadcasting_, false});
    return;
  }
  const bool ack = packet.type == quorum::kAck && from_learner;
  const bool commit = quorum::is_commit(packet.type) && !from_learner;
  if (!ack && !commit) return;
  ProposalWindow::Entry* found = proposals_.find(packet.zxid);
  if (found == nullptr || (ack ? found->acked : found->committed)) return;  // unknown, or a repeat
  message.latency_us = elapsed_us(found->ts_us, message.ts_us);
  (ack ? found->acked : found->committed) = true;
  proposals_.retire_done();
}

void ZabConnection::pair_revalidate(std::int64_t session, bool from_learner,
                                    QuorumMessage& message) {
  if (from_learner) {
    if (revalidating_.size() < kMaxPendingRevalidations) revalidating_[session] = message.ts_us;
    return;
  }
  const auto found = revalidating_.find(session);
  if (found == revalidating_.end()) return;
  message.latency_us = elapsed_us(found->second, message.ts_us);
  revalidating_.erase(found);
}

}  // namespace

void QuorumShared::learn_config(std::string_view config) {
  ensemble.learn_config(config);
  learn_addresses_and_ports(config);
}

void QuorumShared::learn_addresses_and_ports(std::string_view config) {
  const auto port = [](int value) { return static_cast<std::uint16_t>(value); };
  const auto valid = [](int value) { return value > 0 && value < 65536; };
  ++configs;
  for (zk::quorum::ServerPorts server : zk::quorum::config_servers(config)) {
    for (const int server_port : {server.election_port, server.quorum_port}) {
      if (valid(server_port)) {
        learn_addresses(fmt::format("{}:{}", server.host, server_port), server.sid);
      }
    }
    server.host = {};  // it views the config, which goes
    if (!ports.learn_from_config) continue;
    if (learned.size() < kMaxLearnedServers || learned.contains(server.sid)) {
      learned[server.sid] = server;
    }
    if (valid(server.election_port)) ports.learn(port(server.election_port), PortRole::kElection);
    if (valid(server.quorum_port)) ports.learn(port(server.quorum_port), PortRole::kZab);
    if (valid(server.client_port)) ports.learn(port(server.client_port), PortRole::kClient);
  }
}

void QuorumShared::learn_address(std::string_view address, std::int64_t sid) {
  if (const auto found = sid_by_address.find(address); found != sid_by_address.end()) {
    found->second = sid;
  } else if (sid_by_address.size() < kMaxLearnedAddresses) {
    sid_by_address.emplace(address, sid);
  }
}

void QuorumShared::learn_addresses(std::string_view addresses, std::int64_t sid) {
  constexpr std::string_view kLocalhost = "localhost:";
  while (!addresses.empty()) {
    const std::size_t bar = addresses.find('|');
    const std::string_view address = addresses.substr(0, bar);
    addresses = bar == std::string_view::npos ? std::string_view() : addresses.substr(bar + 1);
    learn_address(address, sid);
    // The one name every resolver agrees on: what the capture shows for it.
    if (address.starts_with(kLocalhost)) {
      const std::string_view port = address.substr(kLocalhost.size());
      learn_address(fmt::format("127.0.0.1:{}", port), sid);
      learn_address(fmt::format("[::1]:{}", port), sid);
    }
  }
}

// An address the configs spelled by another host name matches only when its port is one
// server's alone: on a multi-host ensemble, where every server uses the same port, it never does.
std::int64_t QuorumShared::sid_at(std::string_view address) const {
  const auto found = sid_by_address.find(address);
  if (found != sid_by_address.end()) return found->second;
  const std::string_view port = address.substr(address.rfind(':') + 1);
  std::int64_t only = -1;
  for (const auto& [known, sid] : sid_by_address) {
    if (known.substr(known.rfind(':') + 1) != port || sid == only) continue;
    if (only >= 0) return -1;
    only = sid;
  }
  return only;
}

std::int64_t QuorumShared::sid_on_host(std::string_view host) const {
  std::int64_t only = -1;
  for (const auto& [known, sid] : sid_by_address) {
    if (known.substr(0, known.rfind(':')) != host || sid == only) continue;
    if (only >= 0) return -1;
    only = sid;
  }
  return only;
}

std::unique_ptr<tcp::StreamHandler> QuorumSessions::open(const net::Endpoint& client,
                                                         const net::Endpoint& server,
                                                         bool from_start, std::int64_t ts_us) {
  const bool election = shared_.ports.role(server.port) == PortRole::kElection;
  return open_as(election ? Protocol::kElection : Protocol::kZab, client, server, from_start,
                 ts_us);
}

std::unique_ptr<tcp::StreamHandler> QuorumSessions::open_as(Protocol protocol,
                                                            const net::Endpoint& client,
                                                            const net::Endpoint& server,
                                                            bool from_start, std::int64_t) {
  Connection connection = make_connection(protocol, client, server);
  if (protocol == Protocol::kElection) {
    return std::make_unique<ElectionConnection>(shared_, std::move(connection), from_start);
  }
  return std::make_unique<ZabConnection>(shared_, std::move(connection), from_start);
}

}  // namespace zkdump::session
