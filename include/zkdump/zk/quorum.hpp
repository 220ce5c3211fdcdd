// The server-to-server protocols: leader election (QuorumCnxManager and FastLeaderElection, port
// 3888) and atomic broadcast (ZAB's QuorumPacket stream, port 2888), with the txn records that
// proposals carry (zookeeper.jute, package org.apache.zookeeper.txn).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "zkdump/base/fields.hpp"
#include "zkdump/zk/reader.hpp"

namespace zkdump::zk::quorum {

// Sizes at the front of a stream: complete (`size`: the bytes used), incomplete (`size`: at least
// how many bytes the record needs, once known), or not this record at all (the bytes are
// something else: resynchronise).
struct Parse {
  enum Outcome { kComplete, kIncomplete, kInvalid } outcome = kInvalid;
  std::size_t size = 0;
};

// ---- Leader election ----
inline constexpr std::int64_t kElectionProtocolV1 = -65536;  // sid and one address
inline constexpr std::int64_t kElectionProtocolV2 = -65535;  // sid and several addresses
inline constexpr std::size_t kMaxElectionMessage =
    std::size_t{512} * 1024;  // QuorumCnxManager.PACKETMAXSIZE

std::string_view peer_state_name(std::int32_t state);  // LOOKING, FOLLOWING, ...; empty if unknown

// The header the connecting server sends first: a bare sid (before 3.5), or a protocol version,
// the sid and its election address(es).
struct ElectionHeader {
  std::int64_t protocol_version = 0;  // 0 for a bare sid
  std::int64_t sid = 0;
  WireBytes addresses;
};
Parse parse_election_header(ByteSpan bytes, ElectionHeader& header);
void describe(const ElectionHeader& header, FieldSink& fields);

// One length-prefixed election message at the front of `bytes`; `payload` views its body.
Parse parse_election_message(ByteSpan bytes, ByteSpan& payload);

struct Notification {
  std::int32_t state = 0;
  std::int64_t leader = 0;
  std::int64_t zxid = 0;
  std::int64_t election_epoch = 0;
  std::int64_t peer_epoch = -1;  // absent before 3.4
  std::int32_t version = 0;      // absent before 3.5
  WireBytes config;
};
// A notification in any of its historical sizes (28, 36, 40 bytes, or 44 plus the config).
bool decode_notification(ByteSpan payload, Notification& notification);
// Which servers sent and got it, as the election's ports and configs tell (-1: unknown).
struct Voters {
  std::int64_t from_sid = -1;
  std::int64_t to_sid = -1;
};
void describe(const Notification& notification, const Voters& voters, FieldSink& fields);

// The servers a notification's config names: `server.N=host:quorum:election[:role][;client]`.
struct ServerPorts {
  std::int64_t sid = 0;
  std::string_view host;  // as the config spells it (an IPv6 address bracketed); views the config
  int quorum_port = 0;
  int election_port = 0;
  int client_port = 0;
  bool observer = false;  // role observer: it learns, never votes
};
std::vector<ServerPorts> config_servers(std::string_view config);
// A dynamic config's `version=` (hex), -1 when it has none (a static config).
std::int64_t config_version(std::string_view config);

// ---- Atomic broadcast (ZAB) ----
enum PacketType : std::int32_t {
  kRequest = 1,
  kProposal = 2,
  kAck = 3,
  kCommit = 4,
  kPing = 5,
  kRevalidate = 6,
  kSync = 7,
  kInform = 8,
  kCommitAndActivate = 9,
  kNewLeader = 10,
  kFollowerInfo = 11,
  kUpToDate = 12,
  kDiff = 13,
  kTrunc = 14,
  kSnap = 15,
  kObserverInfo = 16,
  kLeaderInfo = 17,
  kAckEpoch = 18,
  kInformAndActivate = 19,
};
// A reconfig's proposal is committed by COMMITANDACTIVATE, which also activates its config.
inline bool is_commit(std::int32_t type) {
  return type == kCommit || type == kCommitAndActivate;
}
std::string_view packet_type_name(std::int32_t type);  // PROPOSAL, ...; empty if unknown
// The name a line carries: Proposal, FollowerInfo, CommitAndActivate.
std::string_view packet_line_name(std::int32_t type);

struct QuorumPacket {
  std::int32_t type = 0;
  std::int64_t zxid = 0;
  WireBytes data;
  std::int32_t auth_count = 0;
};
// One QuorumPacket at the front of `bytes` (they have no outer length). Data larger than
// `max_data` is invalid, so that a hostile length cannot make the caller buffer it.
Parse parse_quorum_packet(ByteSpan bytes, std::size_t max_data, QuorumPacket& packet);

// What a proposal's txn (or a REQUEST's header, or a REVALIDATE) says, for pairing and statistics.
struct TxnFacts {
  std::int64_t session = 0;
  std::int32_t cxid = 0;
  std::int32_t type = 0;
  WireBytes path;
  WireBytes data;  // a setData's, or a reconfig's: the new config
};

// A QuorumPacket with what its data says, by packet type (and, from the learner, whether a PING
// carries sessions).
struct ZabPacket {
  QuorumPacket packet;
  bool from_learner = false;
  TxnFacts txn;
  bool data_decoded = false;      // the data is the record its type says
  std::int64_t learner_sid = -1;  // a FOLLOWERINFO's or OBSERVERINFO's sid
};
ZabPacket decode_zab_packet(const QuorumPacket& packet, bool from_learner);
// latency_us >= 0: since the PROPOSAL (or REVALIDATE question) this packet answers.
void describe(const ZabPacket& packet, std::int64_t latency_us, FieldSink& fields);
std::string_view txn_type_name(std::int32_t type);  // create, delete, ...; empty if unknown

// After SNAP the leader streams the raw snapshot, which has no length of its own, and ends it
// with the jute string "BenWasHere": decoding resumes after it.
inline constexpr std::uint8_t kSnapshotEnd[] = {0,   0,   0,   10,  'B', 'e', 'n',
                                                'W', 'a', 's', 'H', 'e', 'r', 'e'};

// Epoch and counter of a zxid, as operators read them.
inline std::int64_t zxid_epoch(std::int64_t zxid) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(zxid) >> 32);
}
inline std::int64_t zxid_counter(std::int64_t zxid) {
  return zxid & 0xffffffff;
}
// A zxid as operators read it: hex, with its epoch and counter as details.
void describe_zxid(FieldSink& fields, std::int64_t zxid);

}  // namespace zkdump::zk::quorum
