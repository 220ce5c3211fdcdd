#include "zkdump/zk/quorum.hpp"

#include <array>
#include <charconv>
#include <limits>

#include "records.hpp"
#include "zkdump/zk/protocol.hpp"

namespace zkdump::zk::quorum {
namespace {

constexpr std::size_t kMaxAddresses = 4096;         // a few host:port pairs
constexpr std::int32_t kMaxAuthIds = 64;            // the learner's auth ids: a handful at most
constexpr std::int32_t kMaxAuthIdText = 64 * 1024;  // an Id's scheme or id: a name, an address

struct PacketTypeInfo {
  std::string_view name;       // as Leader.java names it
  std::string_view line_name;  // as lines show it
};
constexpr std::array<PacketTypeInfo, 20> kPacketTypes = {{
    {"", ""},
    {"REQUEST", "Request"},
    {"PROPOSAL", "Proposal"},
    {"ACK", "Ack"},
    {"COMMIT", "Commit"},
    {"PING", "Ping"},
    {"REVALIDATE", "Revalidate"},
    {"SYNC", "Sync"},
    {"INFORM", "Inform"},
    {"COMMITANDACTIVATE", "CommitAndActivate"},
    {"NEWLEADER", "NewLeader"},
    {"FOLLOWERINFO", "FollowerInfo"},
    {"UPTODATE", "UpToDate"},
    {"DIFF", "Diff"},
    {"TRUNC", "Trunc"},
    {"SNAP", "Snap"},
    {"OBSERVERINFO", "ObserverInfo"},
    {"LEADERINFO", "LeaderInfo"},
    {"ACKEPOCH", "AckEpoch"},
    {"INFORMANDACTIVATE", "InformAndActivate"},
}};

WireBytes txn_path(Reader& reader, TxnFacts& facts) {
  facts.path = reader.bytes();
  return facts.path;
}

template <class F>
WireBytes data_field(Reader& reader, F& fields) {
  const WireBytes data = reader.bytes();
  fields.number("data_size", static_cast<std::int64_t>(data.size));
  fields.preview("data", data, FieldRole::kMain);
  return data;
}

// The txn records a proposal carries (org.apache.zookeeper.txn), each a walker like the client
// records: parsed with NullFields, described with a FieldSink.
template <class F>
void create_txn(Reader& reader, F& fields, TxnFacts& facts) {
  fields.bytes("path", txn_path(reader, facts));
  data_field(reader, fields);
  records::acl_list(reader, fields);
  fields.boolean("ephemeral", reader.boolean());
  fields.number("parent_cversion", reader.int32());
}

template <class F>
void create_container_txn(Reader& reader, F& fields, TxnFacts& facts) {
  fields.bytes("path", txn_path(reader, facts));
  data_field(reader, fields);
  records::acl_list(reader, fields);
  fields.number("parent_cversion", reader.int32());
}

template <class F>
void create_ttl_txn(Reader& reader, F& fields, TxnFacts& facts) {
  create_container_txn(reader, fields, facts);
  fields.number("ttl", reader.int64());
}

template <class F>
void delete_txn(Reader& reader, F& fields, TxnFacts& facts) {
  fields.bytes("path", txn_path(reader, facts));
}

template <class F>
void set_data_txn(Reader& reader, F& fields, TxnFacts& facts) {
  fields.bytes("path", txn_path(reader, facts));
  facts.data = data_field(reader, fields);
  fields.number("version", reader.int32());
}

template <class F>
void check_version_txn(Reader& reader, F& fields, TxnFacts& facts) {
  fields.bytes("path", txn_path(reader, facts));
  fields.number("version", reader.int32());
}

template <class F>
void set_acl_txn(Reader& reader, F& fields, TxnFacts& facts) {
  fields.bytes("path", txn_path(reader, facts));
  records::acl_list(reader, fields);
  fields.number("version", reader.int32());
}

template <class F>
void create_session_txn(Reader& reader, F& fields, TxnFacts&) {
  fields.number("timeout", reader.int32());
}

// Before 3.6 a closeSession carries no record; since, the ephemeral paths it deletes.
template <class F>
void close_session_txn(Reader& reader, F& fields, TxnFacts&) {
  if (reader.remaining() >= 4) records::string_list(reader, fields, "paths_to_delete");
}

template <class F>
void error_txn(Reader& reader, F& fields, TxnFacts&) {
  const std::int32_t err = reader.int32();
  fields.number("err", err);
  const std::string_view name = error_name(err);
  fields.name("err_name", name.empty() ? "Unknown" : name);
}

template <class F>
void multi_txn(Reader& reader, F& fields, TxnFacts& facts);

template <class F>
using TxnWalker = void (*)(Reader&, F&, TxnFacts&);

// One row per txn type (ZooDefs.OpCode).
struct TxnTypeInfo {
  std::int32_t type;
  std::string_view name;
  TxnWalker<NullFields> parse;
  TxnWalker<FieldSink> describe;
};

// (A template's name cannot be put in parentheses.)
#define ZK_TXN_WALKERS(walker) \
  walker<NullFields>, walker<FieldSink>  // NOLINT(bugprone-macro-parentheses)
constexpr std::array<TxnTypeInfo, 14> kTxnTypes = {{
    {1, "create", ZK_TXN_WALKERS(create_txn)},
    {2, "delete", ZK_TXN_WALKERS(delete_txn)},
    {5, "setData", ZK_TXN_WALKERS(set_data_txn)},
    {7, "setACL", ZK_TXN_WALKERS(set_acl_txn)},
    {13, "check", ZK_TXN_WALKERS(check_version_txn)},
    {14, "multi", ZK_TXN_WALKERS(multi_txn)},
    {15, "create2", ZK_TXN_WALKERS(create_txn)},
    {16, "reconfig", ZK_TXN_WALKERS(set_data_txn)},
    {19, "createContainer", ZK_TXN_WALKERS(create_container_txn)},
    {20, "deleteContainer", ZK_TXN_WALKERS(delete_txn)},
    {21, "createTTL", ZK_TXN_WALKERS(create_ttl_txn)},
    {-10, "createSession", ZK_TXN_WALKERS(create_session_txn)},
    {-11, "closeSession", ZK_TXN_WALKERS(close_session_txn)},
    {-1, "error", ZK_TXN_WALKERS(error_txn)},
}};
#undef ZK_TXN_WALKERS

const TxnTypeInfo* find_txn(std::int32_t type) {
  for (const TxnTypeInfo& info : kTxnTypes) {
    if (info.type == type) return &info;
  }
  return nullptr;
}

template <class F>
TxnWalker<F> txn_walker(const TxnTypeInfo& info) {
  if constexpr (std::is_same_v<F, NullFields>) {
    return info.parse;
  } else {
    return info.describe;
  }
}

// A multi's inner txns: each a type and the bytes of its own record. Inner multis are refused,
// so that nesting stays one level deep whatever the bytes say.
template <class F>
void multi_txn(Reader& reader, F& fields, TxnFacts&) {
  const std::int32_t count = reader.vector_count(8);
  fields.begin_list("txns");
  for (std::int32_t i = 0; i < count && reader.ok(); ++i) {
    const std::int32_t type = reader.int32();
    const WireBytes data = reader.bytes();
    if (!reader.ok()) break;
    const TxnTypeInfo* info = find_txn(type);
    fields.begin_record(info != nullptr ? info->name : "unknown", "");
    if (info == nullptr || type == 14) {
      fields.number("type", type);
      fields.number("size", static_cast<std::int64_t>(data.size));
    } else {
      Reader inner(ByteSpan(data.data, data.size));
      TxnFacts inner_facts;
      txn_walker<F> (*info)(inner, fields, inner_facts);
      if (!inner.complete()) reader.fail();
    }
    fields.end_record();
  }
  fields.end_list();
}

// TxnHeader, the txn record, and (3.6+) the digest of the tree after it.
template <class F>
bool txn(Reader& reader, F& fields, TxnFacts& facts) {
  facts.session = reader.int64();
  facts.cxid = reader.int32();
  const std::int64_t zxid = reader.int64();
  const std::int64_t time = reader.int64();
  facts.type = reader.int32();
  if (!reader.ok()) return false;
  const TxnTypeInfo* info = find_txn(facts.type);
  fields.name("txn", info != nullptr ? info->name : "unknown");
  fields.hex_id("session", static_cast<std::uint64_t>(facts.session));
  fields.number("cxid", facts.cxid);
  if (info == nullptr) {
    fields.number("txn_type", facts.type);
    fields.number("txn_size", static_cast<std::int64_t>(reader.remaining()));
    reader.skip(reader.remaining());
  } else {
    txn_walker<F> (*info)(reader, fields, facts);
  }
  fields.hex_number("txn_zxid", static_cast<std::uint64_t>(zxid), FieldRole::kDetail);
  fields.number("time", time, FieldRole::kDetail);
  if (reader.remaining() == 12) {  // TxnDigest{int version; long treeDigest}
    fields.number("digest_version", reader.int32(), FieldRole::kDetail);
    fields.hex_id("digest", static_cast<std::uint64_t>(reader.int64()), FieldRole::kDetail);
  }
  return reader.complete();
}

template <class F>
bool learner_info(Reader& reader, F& fields) {
  fields.number("sid", reader.int64());
  if (reader.remaining() >= 4) {
    fields.hex_number("protocol", static_cast<std::uint32_t>(reader.int32()));
  }
  if (reader.remaining() >= 8) {
    fields.hex_number("config_version", static_cast<std::uint64_t>(reader.int64()));
  }
  return reader.complete();
}

// A follower's PING lists its sessions and their timeouts, back to back, with no count.
template <class F>
bool session_list(Reader& reader, F& fields) {
  fields.begin_list("sessions");
  std::int64_t count = 0;
  while (reader.remaining() >= 12) {
    const std::int64_t session = reader.int64();
    const std::int32_t timeout = reader.int32();
    fields.begin_record("Session", "");
    fields.hex_id("id", static_cast<std::uint64_t>(session));
    fields.number("timeout", timeout);
    fields.end_record();
    ++count;
  }
  fields.end_list();
  fields.number("session_count", count);
  return reader.complete();
}

// The ensemble's configuration as text: its size, and (with -v) the text.
template <class F>
bool config_text(const WireBytes& data, Reader& reader, F& fields) {
  const WireBytes config{data.data + reader.offset(), reader.remaining(), false};
  fields.number("config_size", static_cast<std::int64_t>(config.size));
  fields.bytes("config", config, FieldRole::kDetail);
  reader.skip(config.size);
  return reader.complete();
}

template <class F>
bool forwarded_request(Reader& reader, F& fields, TxnFacts& facts) {
  facts.session = reader.int64();
  facts.cxid = reader.int32();
  facts.type = reader.int32();
  fields.hex_id("session", static_cast<std::uint64_t>(facts.session));
  fields.number("cxid", facts.cxid);
  // A session's creation is no client op: it is named as its txn is.
  const OpInfo* op = find_op(facts.type);
  const TxnTypeInfo* txn = find_txn(facts.type);
  if (op != nullptr) {
    fields.name("op", op->json_name);
  } else if (txn != nullptr) {
    fields.name("op", txn->name);
  } else {
    fields.number("op_type", facts.type);
  }
  fields.number("request_size", static_cast<std::int64_t>(reader.remaining()));
  reader.skip(reader.remaining());
  return reader.complete();
}

template <class F>
bool revalidate(Reader& reader, bool from_learner, F& fields, TxnFacts& facts) {
  facts.session = reader.int64();
  fields.hex_id("session", static_cast<std::uint64_t>(facts.session));
  if (from_learner) {
    fields.number("timeout", reader.int32());
  } else {
    fields.boolean("valid", reader.boolean());
  }
  return reader.complete();
}

// The packet's data, by packet type. False when it is not the record its type says.
template <class F>
bool packet_data(const QuorumPacket& packet, bool from_learner, F& fields, TxnFacts& facts) {
  Reader reader(ByteSpan(packet.data.data, packet.data.size));
  switch (packet.type) {
    case kProposal:
    case kInform:
      return txn(reader, fields, facts);
    case kInformAndActivate:
      fields.number("suggested_leader", reader.int64());
      return txn(reader, fields, facts);
    case kCommitAndActivate:
      fields.number("suggested_leader", reader.int64());
      return config_text(packet.data, reader, fields);
    case kRequest:
      return forwarded_request(reader, fields, facts);
    case kFollowerInfo:
    case kObserverInfo:
      return learner_info(reader, fields);
    case kLeaderInfo:
      fields.hex_number("protocol", static_cast<std::uint32_t>(reader.int32()));
      return reader.complete();
    case kAckEpoch:
      fields.number("last_logged_epoch", reader.int32());
      return reader.complete();
    case kNewLeader:
      return config_text(packet.data, reader, fields);
    case kRevalidate:
      return revalidate(reader, from_learner, fields, facts);
    case kPing:
      return from_learner ? session_list(reader, fields) : true;
    default:  // ACK, COMMIT, SYNC, UPTODATE, DIFF, TRUNC, SNAP carry nothing but the zxid
      if (packet.data.size > 0) {
        fields.number("data_size", static_cast<std::int64_t>(packet.data.size));
      }
      return true;
  }
}

}  // namespace

std::string_view peer_state_name(std::int32_t state) {
  switch (state) {
    case 0:
      return "LOOKING";
    case 1:
      return "FOLLOWING";
    case 2:
      return "LEADING";
    case 3:
      return "OBSERVING";
    default:
      return {};
  }
}

Parse parse_election_header(ByteSpan bytes, ElectionHeader& header) {
  if (bytes.size() < 8) return {Parse::kIncomplete, 8};
  const std::int64_t first = load_be64(bytes.data());
  if (first >= 0) {  // before 3.5: the sid alone
    header = {0, first, {}};
    return {Parse::kComplete, 8};
  }
  if (first != kElectionProtocolV1 && first != kElectionProtocolV2) return {Parse::kInvalid, 0};
  if (bytes.size() < 20) return {Parse::kIncomplete, 20};
  const std::int32_t length = load_be32(bytes.data() + 16);
  if (length < 0 || static_cast<std::size_t>(length) > kMaxAddresses) return {Parse::kInvalid, 0};
  const std::size_t size = 20 + static_cast<std::size_t>(length);
  if (bytes.size() < size) return {Parse::kIncomplete, size};
  header = {first, load_be64(bytes.data() + 8),
            WireBytes{bytes.data() + 20, static_cast<std::size_t>(length), false}};
  return {Parse::kComplete, size};
}

void describe(const ElectionHeader& header, FieldSink& fields) {
  fields.number("protocol", header.protocol_version);
  fields.number("sid", header.sid);
  if (header.protocol_version != 0) fields.bytes("addresses", header.addresses);
}

Parse parse_election_message(ByteSpan bytes, ByteSpan& payload) {
  if (bytes.size() < 4) return {Parse::kIncomplete, 4};
  const std::int32_t length = load_be32(bytes.data());
  if (length < 28 || static_cast<std::size_t>(length) > kMaxElectionMessage) {
    return {Parse::kInvalid, 0};
  }
  const std::size_t size = 4 + static_cast<std::size_t>(length);
  if (bytes.size() < size) return {Parse::kIncomplete, size};
  payload = bytes.subspan(4, static_cast<std::size_t>(length));
  return {Parse::kComplete, size};
}

bool decode_notification(ByteSpan payload, Notification& notification) {
  Reader reader(payload);
  notification = Notification{};
  notification.state = reader.int32();
  notification.leader = reader.int64();
  notification.zxid = reader.int64();
  notification.election_epoch = reader.int64();
  if (reader.remaining() >= 8) notification.peer_epoch = reader.int64();
  if (reader.remaining() >= 4) notification.version = reader.int32();
  if (reader.remaining() >= 4) notification.config = reader.bytes();
  return reader.complete() && !peer_state_name(notification.state).empty();
}

void describe_zxid(FieldSink& fields, std::int64_t zxid) {
  fields.hex_number("zxid", static_cast<std::uint64_t>(zxid));
  fields.number("zxid_epoch", zxid_epoch(zxid), FieldRole::kDetail);
  fields.number("zxid_counter", zxid_counter(zxid), FieldRole::kDetail);
}

void describe(const Notification& notification, const Voters& voters, FieldSink& fields) {
  fields.number("from_sid", voters.from_sid);
  fields.number("to_sid", voters.to_sid);
  fields.name("state", peer_state_name(notification.state));
  fields.number("leader", notification.leader);
  // The vote's zxid decides elections: its epoch and counter show on every line, not just with -v.
  fields.hex_number("zxid", static_cast<std::uint64_t>(notification.zxid));
  fields.number("zxid_epoch", zxid_epoch(notification.zxid));
  fields.number("zxid_counter", zxid_counter(notification.zxid));
  fields.number("election_epoch", notification.election_epoch);
  fields.number("peer_epoch", notification.peer_epoch);
  fields.number("version", notification.version);
  fields.bytes("config", notification.config, FieldRole::kDetail);
}

std::vector<ServerPorts> config_servers(std::string_view config) {
  std::vector<ServerPorts> servers;
  const auto to_int = [](std::string_view text, auto& value) {
    return std::from_chars(text.data(), text.data() + text.size(), value).ec == std::errc();
  };
  const auto port_of = [&to_int](std::string_view address) {
    const std::size_t colon = address.rfind(':');
    int port = 0;
    if (colon != std::string_view::npos) to_int(address.substr(colon + 1), port);
    return port;
  };
  while (!config.empty()) {
    const std::size_t newline = config.find('\n');
    std::string_view line = config.substr(0, newline);
    config = newline == std::string_view::npos ? std::string_view() : config.substr(newline + 1);
    constexpr std::string_view kPrefix = "server.";
    const std::size_t equals = line.find('=');
    if (line.substr(0, kPrefix.size()) != kPrefix || equals == std::string_view::npos) continue;
    ServerPorts server;
    if (!to_int(line.substr(kPrefix.size(), equals - kPrefix.size()), server.sid)) continue;
    std::string_view value = line.substr(equals + 1);
    const std::size_t semicolon = value.find(';');
    if (semicolon != std::string_view::npos) {
      server.client_port = port_of(value.substr(semicolon + 1));
      value = value.substr(0, semicolon);
    }
    // host:quorum:election[:role]; an IPv6 host is bracketed.
    const std::size_t host_end = value.rfind(']') != std::string_view::npos ? value.rfind(']') : 0;
    const std::size_t first = value.find(':', host_end);
    if (first == std::string_view::npos) continue;
    server.host = value.substr(0, first);
    std::string_view ports = value.substr(first + 1);
    const std::size_t second = ports.find(':');
    if (second == std::string_view::npos) continue;
    to_int(ports.substr(0, second), server.quorum_port);
    std::string_view election = ports.substr(second + 1);
    const std::size_t role = election.find(':');
    to_int(election.substr(0, role), server.election_port);
    server.observer = role != std::string_view::npos && election.substr(role + 1) == "observer";
    servers.push_back(server);
  }
  return servers;
}

std::int64_t config_version(std::string_view config) {
  constexpr std::string_view kKey = "version=";
  std::size_t at = config.starts_with(kKey) ? 0 : config.find("\nversion=");
  if (at == std::string_view::npos) return -1;
  at += config[at] == '\n' ? kKey.size() + 1 : kKey.size();
  std::uint64_t version = 0;
  const std::string_view digits = config.substr(at, config.find('\n', at) - at);
  const auto [end, error] =
      std::from_chars(digits.data(), digits.data() + digits.size(), version, 16);
  if (error != std::errc() || end != digits.data() + digits.size() ||
      version > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return -1;
  }
  return static_cast<std::int64_t>(version);
}

std::string_view packet_type_name(std::int32_t type) {
  return type > 0 && type < static_cast<std::int32_t>(kPacketTypes.size())
             ? kPacketTypes[static_cast<std::size_t>(type)].name
             : std::string_view();
}

std::string_view packet_line_name(std::int32_t type) {
  return type > 0 && type < static_cast<std::int32_t>(kPacketTypes.size())
             ? kPacketTypes[static_cast<std::size_t>(type)].line_name
             : std::string_view("UnknownQuorumPacket");
}

std::string_view txn_type_name(std::int32_t type) {
  const TxnTypeInfo* info = find_txn(type);
  return info != nullptr ? info->name : std::string_view();
}

namespace {

// The bytes a record needs once `offset` bytes are read and `more` must follow.
Parse incomplete(std::size_t offset, std::size_t more) {
  return {Parse::kIncomplete, offset + more};
}

// Reads one jute string or buffer of at most `max_length` bytes, or says why it cannot yet.
Parse read_bounded(ByteSpan bytes, Reader& reader, std::size_t max_length, WireBytes& out) {
  if (reader.remaining() < 4) return incomplete(reader.offset(), 4);
  const std::int32_t length = load_be32(bytes.data() + reader.offset());
  if (length < -1 || (length > 0 && static_cast<std::size_t>(length) > max_length)) {
    return {Parse::kInvalid, 0};
  }
  if (length > 0 && reader.remaining() < 4 + static_cast<std::size_t>(length)) {
    return incomplete(reader.offset(), 4 + static_cast<std::size_t>(length));
  }
  out = reader.bytes();
  return {Parse::kComplete, reader.offset()};
}

}  // namespace

Parse parse_quorum_packet(ByteSpan bytes, std::size_t max_data, QuorumPacket& packet) {
  constexpr std::size_t kHeader = 4 + 8;
  if (bytes.size() < kHeader) return incomplete(0, kHeader);
  Reader reader(bytes);
  packet.type = reader.int32();
  packet.zxid = reader.int64();
  if (packet_type_name(packet.type).empty()) return {Parse::kInvalid, 0};
  const Parse data = read_bounded(bytes, reader, max_data, packet.data);
  if (data.outcome != Parse::kComplete) return data;
  if (reader.remaining() < 4) return incomplete(reader.offset(), 4);
  packet.auth_count = reader.int32();
  if (packet.auth_count < -1 || packet.auth_count > kMaxAuthIds) return {Parse::kInvalid, 0};
  // Each auth Id is two short strings, scheme and id: a length no Id has is not worth waiting for.
  for (std::int32_t i = 0; i < 2 * packet.auth_count; ++i) {
    WireBytes text;
    const Parse id = read_bounded(bytes, reader, kMaxAuthIdText, text);
    if (id.outcome != Parse::kComplete) return id;
  }
  return {Parse::kComplete, reader.offset()};
}

ZabPacket decode_zab_packet(const QuorumPacket& packet, bool from_learner) {
  ZabPacket decoded;
  decoded.packet = packet;
  decoded.from_learner = from_learner;
  NullFields discard;
  decoded.data_decoded = packet_data(packet, from_learner, discard, decoded.txn);
  if (packet.type == kFollowerInfo || packet.type == kObserverInfo) {
    Reader reader(ByteSpan(packet.data.data, packet.data.size));
    const std::int64_t sid = reader.int64();
    if (reader.ok()) decoded.learner_sid = sid;
  }
  return decoded;
}

void describe(const ZabPacket& packet, std::int64_t latency_us, FieldSink& fields) {
  describe_zxid(fields, packet.packet.zxid);
  TxnFacts facts;
  if (!packet_data(packet.packet, packet.from_learner, fields, facts)) {
    fields.boolean("undecodable_data", true);
  }
  if (packet.packet.auth_count > 0) fields.number("auth_ids", packet.packet.auth_count);
  if (latency_us >= 0) fields.number("latency_us", latency_us);
}

}  // namespace zkdump::zk::quorum
