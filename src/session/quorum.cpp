#include "zkdump/session/quorum.hpp"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "zkdump/session/elapsed.hpp"
#include "zkdump/zk/quorum.hpp"

namespace zkdump::session {
namespace {

namespace quorum = zk::quorum;

constexpr std::size_t kMaxQuorumData = 16u << 20;  // a proposal's txn: jute.maxbuffer and more
constexpr std::size_t kMaxBuffered = kMaxQuorumData + 4096;
constexpr std::size_t kMaxRememberedProposals = 65536;  // per connection
constexpr std::uint64_t kReportSkippedAfter = 1u << 20;
constexpr std::size_t kMaxPendingRevalidations = 4096;  // per connection
constexpr std::size_t kMaxRounds = 1024;
constexpr std::size_t kMaxVotersPerRound = 256;

template <typename... Args>
void put(fmt::memory_buffer& out, fmt::format_string<Args...> format, Args&&... args) {
  fmt::format_to(fmt::appender(out), format, std::forward<Args>(args)...);
}

// One direction's bytes not yet cut into messages, and whether we lost our place in them.
struct Pending {
  std::vector<std::uint8_t> bytes;
  bool lost = false;          // after a gap or undecodable bytes: look for the next message
  std::uint64_t skipped = 0;  // undecodable bytes not yet reported
  std::int64_t skipped_ts = 0;
};

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
    std::size_t low = 0, high = size_;
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

}  // namespace

// Shared by both protocols: buffering, resynchronisation and the report of skipped bytes.
class QuorumConnection : public tcp::StreamHandler {
 public:
  QuorumConnection(QuorumTracker& tracker, const net::Endpoint& client, const net::Endpoint& server,
                   bool from_start)
      : tracker_(tracker),
        client_(output::format_endpoint(client)),
        server_(output::format_endpoint(server)),
        server_endpoint_(server) {
    for (Pending& side : sides_) side.lost = !from_start;
  }

  void on_data(tcp::Side side, tcp::ByteSpan bytes, std::int64_t ts_us) override {
    Pending& pending = sides_[static_cast<int>(side)];
    if (pending.bytes.size() + bytes.size() > kMaxBuffered) {
      note_skipped(pending, pending.bytes.size(), ts_us);
      pending.bytes.clear();
      pending.lost = true;
      if (bytes.size() > kMaxBuffered) {
        note_skipped(pending, bytes.size(), ts_us);
        return;
      }
    }
    pending.bytes.insert(pending.bytes.end(), bytes.begin(), bytes.end());
    std::size_t used = 0;
    while (used < pending.bytes.size()) {
      const tcp::ByteSpan rest(pending.bytes.data() + used, pending.bytes.size() - used);
      const std::size_t step = cut(side, pending, rest, ts_us);
      if (step == 0) break;
      used += step;
    }
    pending.bytes.erase(pending.bytes.begin(), pending.bytes.begin() + static_cast<long>(used));
    // A stretch of junk is one line, written when decoding resumes; a long one is not held back.
    if (pending.skipped >= kReportSkippedAfter) report_skipped(side, pending);
  }

  void on_gap(tcp::Side side, std::uint64_t missing_bytes, std::int64_t ts_us) override {
    Pending& pending = sides_[static_cast<int>(side)];
    note_skipped(pending, pending.bytes.size(), ts_us);
    report_skipped(side, pending);
    pending.bytes.clear();
    pending.lost = true;
    print_gap(side, missing_bytes, ts_us);
  }

  // No more bytes will come: what waited for them is junk, and a message may still follow it.
  void on_close(tcp::CloseReason, std::int64_t ts_us) override {
    closing_ = true;
    for (const tcp::Side side : {tcp::Side::kClientToServer, tcp::Side::kServerToClient}) {
      Pending& pending = sides_[static_cast<int>(side)];
      std::size_t used = 0;
      while (used < pending.bytes.size()) {
        const tcp::ByteSpan rest(pending.bytes.data() + used, pending.bytes.size() - used);
        std::size_t step = cut(side, pending, rest, ts_us);
        if (step == 0) step = skip_byte(pending, ts_us);
        used += step;
      }
      pending.bytes.clear();
      report_skipped(side, pending);
    }
    closed(ts_us);
  }

 protected:
  // Cuts one message (or one resynchronisation step) from the front of `rest`: the bytes used,
  // 0 to wait for more.
  virtual std::size_t cut(tcp::Side side, Pending& pending, tcp::ByteSpan rest,
                          std::int64_t ts_us) = 0;
  virtual void closed(std::int64_t) {}
  virtual std::string_view proto() const = 0;

  // Not a message here: step one byte, looking for the next plausible one. Returns the step.
  std::size_t skip_byte(Pending& pending, std::int64_t ts_us) {
    pending.lost = true;
    note_skipped(pending, 1, ts_us);
    return 1;
  }

  // A message decoded where junk was: the junk's line goes first.
  void resynced(tcp::Side side, Pending& pending) {
    pending.lost = false;
    report_skipped(side, pending);
  }

  void note_skipped(Pending& pending, std::size_t count, std::int64_t ts_us) {
    if (count == 0) return;
    if (pending.skipped == 0) pending.skipped_ts = ts_us;
    pending.skipped += count;
  }

  const std::string& from(tcp::Side side) const {
    return side == tcp::Side::kClientToServer ? client_ : server_;
  }
  const std::string& to(tcp::Side side) const {
    return side == tcp::Side::kClientToServer ? server_ : client_;
  }

  QuorumTracker& tracker_;
  bool closing_ = false;  // the connection ended: nothing more will complete what is buffered
  std::string client_;
  std::string server_;
  net::Endpoint server_endpoint_;
  Pending sides_[2];

 private:
  void report_skipped(tcp::Side side, Pending& pending) {
    if (pending.skipped == 0) return;
    ++tracker_.counters_.undecodable;
    zk::FieldWriter writer =
        tracker_.printer_.quorum_begin(pending.skipped_ts, proto(), "UndecodableBytes");
    writer.number("bytes", static_cast<std::int64_t>(pending.skipped));
    tracker_.print(tracker_.printer_.quorum_end(from(side), to(side)));
    pending.skipped = 0;
  }

  void print_gap(tcp::Side side, std::uint64_t missing, std::int64_t ts_us) {
    zk::FieldWriter writer = tracker_.printer_.quorum_begin(ts_us, proto(), "Gap");
    writer.number("missing_bytes", static_cast<std::int64_t>(missing));
    tracker_.print(tracker_.printer_.quorum_end(from(side), to(side)));
  }
};

// Leader election: the connecting server's header, then length-prefixed notifications both ways.
class ElectionConnection : public QuorumConnection {
 public:
  using QuorumConnection::QuorumConnection;

 protected:
  std::string_view proto() const override { return "election"; }

  std::size_t cut(tcp::Side side, Pending& pending, tcp::ByteSpan rest,
                  std::int64_t ts_us) override {
    const bool from_initiator = side == tcp::Side::kClientToServer;
    if (from_initiator && !header_done_ && !pending.lost) {
      quorum::ElectionHeader header;
      const quorum::Parse parse = quorum::parse_election_header(rest, header);
      if (parse.outcome == quorum::Parse::kIncomplete) return 0;
      header_done_ = true;
      if (parse.outcome == quorum::Parse::kComplete) {
        initiator_sid_ = header.sid;
        zk::FieldWriter writer = tracker_.printer_.quorum_begin(ts_us, proto(), "ElectionHeader");
        quorum::write_election_header(header, writer);
        tracker_.print(tracker_.printer_.quorum_end(from(side), to(side)));
        return parse.size;
      }
    }
    tcp::ByteSpan payload;
    const quorum::Parse parse = quorum::parse_election_message(rest, payload);
    quorum::Notification notification;
    if (parse.outcome == quorum::Parse::kIncomplete) return 0;
    if (parse.outcome == quorum::Parse::kInvalid ||
        !quorum::decode_notification(payload, notification)) {
      return skip_byte(pending, ts_us);
    }
    resynced(side, pending);
    header_done_ = true;
    ++tracker_.counters_.notifications;
    if (notification.config.size > 0) tracker_.learn_config(notification.config.view());
    const std::int64_t acceptor_sid = tracker_.sid_of_election_port(server_endpoint_.port);
    const std::int64_t from_sid = from_initiator ? initiator_sid_ : acceptor_sid;
    const std::int64_t to_sid = from_initiator ? acceptor_sid : initiator_sid_;
    if (from_sid >= 0) {
      tracker_.note_vote(from_sid, notification.state, notification.leader,
                         notification.election_epoch, ts_us);
    }
    zk::FieldWriter writer = tracker_.printer_.quorum_begin(ts_us, proto(), "Notification");
    writer.number("from_sid", from_sid);
    writer.number("to_sid", to_sid);
    quorum::write_notification(notification, writer);
    tracker_.print(tracker_.printer_.quorum_end(from(side), to(side)));
    return parse.size;
  }

 private:
  bool header_done_ = false;
  std::int64_t initiator_sid_ = -1;
};

// Atomic broadcast: back-to-back QuorumPackets, the learner being the connecting side.
class ZabConnection : public QuorumConnection {
 public:
  using QuorumConnection::QuorumConnection;

 protected:
  std::string_view proto() const override { return "zab"; }

  std::size_t cut(tcp::Side side, Pending& pending, tcp::ByteSpan rest,
                  std::int64_t ts_us) override {
    const bool from_learner = side == tcp::Side::kClientToServer;
    if (!from_learner && in_snapshot_) return skip_snapshot(side, rest, ts_us);
    quorum::QuorumPacket packet;
    const quorum::Parse parse = quorum::parse_quorum_packet(rest, kMaxQuorumData, packet);
    if (parse.outcome == quorum::Parse::kIncomplete) return 0;
    if (parse.outcome == quorum::Parse::kInvalid) return skip_byte(pending, ts_us);
    resynced(side, pending);
    ++tracker_.counters_.packets;
    const std::int64_t sid = quorum::learner_sid(packet);
    if (sid >= 0 && from_learner) follower_ = fmt::format("server.{}", sid);
    zk::FieldWriter writer =
        tracker_.printer_.quorum_begin(ts_us, proto(), quorum::packet_line_name(packet.type));
    quorum::write_zxid(writer, "zxid", packet.zxid);
    quorum::TxnFacts txn;
    if (!quorum::write_packet_data(packet, from_learner, writer, txn)) {
      writer.name("undecodable_data", "True");
    }
    if (packet.auth_count > 0) writer.number("auth_ids", packet.auth_count);
    pair(packet, from_learner, writer, ts_us);
    if (packet.type == quorum::kRevalidate)
      pair_revalidate(txn.session, from_learner, writer, ts_us);
    tracker_.print(tracker_.printer_.quorum_end(from(side), to(side)));
    if (packet.type == quorum::kNewLeader && !from_learner) broadcasting_ = true;
    if (packet.type == quorum::kSnap && !from_learner) {
      in_snapshot_ = true;
      snapshot_start_ts_ = ts_us;
    }
    return parse.size;
  }

  void closed(std::int64_t ts_us) override {
    if (in_snapshot_) end_snapshot(tcp::Side::kServerToClient, ts_us, false);
    proposals_.for_each([&](const ProposalWindow::Entry& proposal) {
      if (proposal.committed) return;
      ++tracker_.counters_.uncommitted;
      zk::FieldWriter writer = tracker_.printer_.quorum_begin(ts_us, proto(), "Uncommitted");
      quorum::write_zxid(writer, "zxid", proposal.zxid);
      tracker_.print(tracker_.printer_.quorum_end(server_, client_));
    });
  }

 private:
  // The raw snapshot after SNAP has no framing: pass over it up to its closing signature.
  std::size_t skip_snapshot(tcp::Side side, tcp::ByteSpan rest, std::int64_t ts_us) {
    constexpr std::size_t kEnd = sizeof quorum::kSnapshotEnd;
    const auto found = std::search(rest.begin(), rest.end(), std::begin(quorum::kSnapshotEnd),
                                   std::end(quorum::kSnapshotEnd));
    if (found == rest.end()) {
      // Keep what could be the start of the signature; the rest is snapshot.
      const std::size_t passed = closing_             ? rest.size()
                                 : rest.size() > kEnd ? rest.size() - kEnd
                                                      : 0;
      snapshot_bytes_ += passed;
      return passed;
    }
    const std::size_t used = static_cast<std::size_t>(found - rest.begin()) + kEnd;
    snapshot_bytes_ += used;
    end_snapshot(side, ts_us, true);
    return used;
  }

  void end_snapshot(tcp::Side side, std::int64_t ts_us, bool complete) {
    tracker_.counters_.snapshot_bytes += snapshot_bytes_;
    in_snapshot_ = false;
    zk::FieldWriter writer = tracker_.printer_.quorum_begin(ts_us, proto(), "Snapshot");
    writer.number("bytes", static_cast<std::int64_t>(snapshot_bytes_));
    writer.number("duration_us", elapsed_us(snapshot_start_ts_, ts_us));
    if (!complete) writer.boolean("complete", false);
    tracker_.print(tracker_.printer_.quorum_end(from(side), to(side)));
    snapshot_bytes_ = 0;
  }

  // A PROPOSAL is remembered by zxid until both its ACK (from the learner) and its COMMIT (from
  // the leader) showed the time since: a slow follower's ACK can come after the COMMIT that a
  // faster quorum earned. Proposals replayed during the sync get no ACK of their own.
  void pair(const quorum::QuorumPacket& packet, bool from_learner, zk::FieldWriter& writer,
            std::int64_t ts_us) {
    if (packet.type == quorum::kProposal && !from_learner) {
      ++tracker_.counters_.proposals;
      proposals_.add({packet.zxid, ts_us, !broadcasting_, false});
      if (broadcasting_ && tracker_.observer_ != nullptr)
        tracker_.observer_->on_proposal(server_, packet.zxid, ts_us);
      return;
    }
    const bool ack = packet.type == quorum::kAck && from_learner;
    const bool commit = packet.type == quorum::kCommit && !from_learner;
    if (!ack && !commit) return;
    ProposalWindow::Entry* found = proposals_.find(packet.zxid);
    if (found == nullptr) return;
    ProposalWindow::Entry& proposed = *found;
    if (ack ? proposed.acked : proposed.committed) return;  // a repeat
    const std::int64_t latency = elapsed_us(proposed.ts_us, ts_us);
    writer.number("latency_us", latency);
    QuorumObserver* observer = broadcasting_ ? tracker_.observer_ : nullptr;
    if (ack) {
      proposed.acked = true;
      ++tracker_.counters_.acks;
      if (observer != nullptr) observer->on_ack(follower_, latency);
    } else {
      proposed.committed = true;
      ++tracker_.counters_.commits;
      if (observer != nullptr) observer->on_commit(follower_, latency);
    }
    proposals_.retire_done();
  }

  // A learner asks the leader whether a session that reconnected to it is still valid; the
  // leader's answer names the same session.
  void pair_revalidate(std::int64_t session, bool from_learner, zk::FieldWriter& writer,
                       std::int64_t ts_us) {
    if (from_learner) {
      if (revalidating_.size() < kMaxPendingRevalidations) revalidating_[session] = ts_us;
      return;
    }
    const auto found = revalidating_.find(session);
    if (found == revalidating_.end()) return;
    writer.number("latency_us", elapsed_us(found->second, ts_us));
    revalidating_.erase(found);
  }

  std::string follower_ = client_;  // server.N once the learner's FOLLOWERINFO names it
  // Past the sync: after the leader's NEWLEADER, or from the first byte seen of a capture that
  // joined later.
  bool broadcasting_ = sides_[0].lost;
  bool in_snapshot_ = false;
  std::uint64_t snapshot_bytes_ = 0;
  std::int64_t snapshot_start_ts_ = 0;
  ProposalWindow proposals_;
  std::unordered_map<std::int64_t, std::int64_t> revalidating_;  // session > when asked
};

QuorumTracker::QuorumTracker(output::MessagePrinter& printer, output::OutputBuffer& out,
                             PortMap& ports)
    : printer_(printer), out_(out), ports_(ports) {}

QuorumTracker::~QuorumTracker() = default;

std::unique_ptr<tcp::StreamHandler> QuorumTracker::open(const net::Endpoint& client,
                                                        const net::Endpoint& server,
                                                        bool from_start, std::int64_t) {
  if (ports_.role(server.port) == PortRole::kElection) {
    return std::make_unique<ElectionConnection>(*this, client, server, from_start);
  }
  return std::make_unique<ZabConnection>(*this, client, server, from_start);
}

void QuorumTracker::print(std::string_view line) {
  if (!line.empty()) out_.write_line(line);
}

void QuorumTracker::note_vote(std::int64_t sid, std::int32_t state, std::int64_t leader,
                              std::int64_t epoch, std::int64_t ts_us) {
  if (rounds_.size() >= kMaxRounds && rounds_.count(epoch) == 0) return;
  auto& round = rounds_[epoch];
  if (round.size() >= kMaxVotersPerRound && round.count(sid) == 0) return;
  const bool first = round.count(sid) == 0;
  Vote& vote = round[sid];
  if (first) {
    vote.first_ts_us = ts_us;
  } else if (vote.leader != leader) {
    ++vote.changes;
  }
  vote.leader = leader;
  vote.state = state;
  if (state != 0 && vote.settled_ts_us < 0) vote.settled_ts_us = ts_us;
}

void QuorumTracker::learn_config(std::string_view config) {
  for (const zk::quorum::ServerPorts& server : zk::quorum::config_servers(config)) {
    const auto port = [](int value) { return static_cast<std::uint16_t>(value); };
    if (server.election_port > 0 && server.election_port < 65536) {
      sid_by_election_port_[port(server.election_port)] = server.sid;
      if (ports_.learn_from_config) ports_.set(port(server.election_port), PortRole::kElection);
    }
    if (server.quorum_port > 0 && server.quorum_port < 65536) {
      if (ports_.learn_from_config) ports_.set(port(server.quorum_port), PortRole::kZab);
    }
    if (ports_.learn_from_config && server.client_port > 0 && server.client_port < 65536) {
      ports_.set(port(server.client_port), PortRole::kClient);
    }
  }
}

std::int64_t QuorumTracker::sid_of_election_port(std::uint16_t port) const {
  const auto found = sid_by_election_port_.find(port);
  return found == sid_by_election_port_.end() ? -1 : found->second;
}

void QuorumTracker::write_summary(fmt::memory_buffer& out, bool json) const {
  // The winner of a round: the leader most settled servers name. A server that settled only
  // tells when a LOOKING peer asks, so failing that: the final vote of a majority of the voters.
  const auto winner_of = [](const std::map<std::int64_t, Vote>& round) {
    std::map<std::int64_t, std::size_t> named_by_settled, named;
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
  };
  if (json) {
    put(out, "{{\"election_rounds\":[");
    bool first_round = true;
    for (const auto& [epoch, round] : rounds_) {
      put(out, "{}{{\"election_epoch\":{},\"winner\":{},\"servers\":[", first_round ? "" : ",",
          epoch, winner_of(round));
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
        "],\"proposals\":{},\"commits\":{},\"acks\":{},\"uncommitted\":{},"
        "\"snapshot_bytes\":{}}}\n",
        counters_.proposals, counters_.commits, counters_.acks, counters_.uncommitted,
        counters_.snapshot_bytes);
    return;
  }
  // Settling times as the lines show theirs; relative styles would be relative to nothing here.
  const output::TimestampStyle style = printer_.timestamp_style();
  output::TimestampFormatter timestamps(style == output::TimestampStyle::kDate ||
                                                style == output::TimestampStyle::kEpoch
                                            ? style
                                            : output::TimestampStyle::kTime);
  put(out, "election summary\n");
  for (const auto& [epoch, round] : rounds_) {
    put(out, "  round {}: winner {}\n", epoch, winner_of(round));
    for (const auto& [sid, vote] : round) {
      put(out, "    server {} voted {} ({} changes), {}", sid, vote.leader, vote.changes,
          zk::quorum::peer_state_name(vote.state));
      if (vote.settled_ts_us >= 0) {
        put(out, " since ");
        timestamps.append(out, vote.settled_ts_us);
        out.resize(out.size() - 1);  // the formatter's trailing space
        put(out, "\n");
      } else {
        put(out, " when last heard\n");
      }
    }
  }
  put(out, "zab: {} proposals, {} commits, {} acks, {} uncommitted, {} snapshot bytes\n",
      counters_.proposals, counters_.commits, counters_.acks, counters_.uncommitted,
      counters_.snapshot_bytes);
}

}  // namespace zkdump::session
