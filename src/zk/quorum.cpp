#include "zkdump/zk/quorum.hpp"

#include <array>
#include <charconv>

#include "records.hpp"

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

// The txn records a proposal carries, one row per txn type (ZooDefs.OpCode).
using TxnDecoder = void (*)(Reader&, FieldWriter&, TxnFacts&);
struct TxnTypeInfo {
  std::int32_t type;
  std::string_view name;
  TxnDecoder decode;
};

WireBytes txn_path(Reader& reader, FieldWriter& writer, TxnFacts& facts) {
  facts.path = reader.bytes();
  writer.bytes("path", facts.path);
  return facts.path;
}

void data_field(Reader& reader, FieldWriter& writer) {
  const WireBytes data = reader.bytes();
  writer.number("data_size", static_cast<std::int64_t>(data.size));
  writer.preview("data", data);
}

void create_txn(Reader& reader, FieldWriter& writer, TxnFacts& facts) {
  txn_path(reader, writer, facts);
  data_field(reader, writer);
  records::acl_list(reader, writer);
  writer.boolean("ephemeral", reader.boolean());
  writer.number("parent_cversion", reader.int32());
}

void create_container_txn(Reader& reader, FieldWriter& writer, TxnFacts& facts) {
  txn_path(reader, writer, facts);
  data_field(reader, writer);
  records::acl_list(reader, writer);
  writer.number("parent_cversion", reader.int32());
}

void create_ttl_txn(Reader& reader, FieldWriter& writer, TxnFacts& facts) {
  create_container_txn(reader, writer, facts);
  writer.number("ttl", reader.int64());
}

void delete_txn(Reader& reader, FieldWriter& writer, TxnFacts& facts) {
  txn_path(reader, writer, facts);
}

void set_data_txn(Reader& reader, FieldWriter& writer, TxnFacts& facts) {
  txn_path(reader, writer, facts);
  data_field(reader, writer);
  writer.number("version", reader.int32());
}

void check_version_txn(Reader& reader, FieldWriter& writer, TxnFacts& facts) {
  txn_path(reader, writer, facts);
  writer.number("version", reader.int32());
}

void set_acl_txn(Reader& reader, FieldWriter& writer, TxnFacts& facts) {
  txn_path(reader, writer, facts);
  records::acl_list(reader, writer);
  writer.number("version", reader.int32());
}

void create_session_txn(Reader& reader, FieldWriter& writer, TxnFacts&) {
  writer.number("timeout", reader.int32());
}

// Before 3.6 a closeSession carries no record; since, the ephemeral paths it deletes.
void close_session_txn(Reader& reader, FieldWriter& writer, TxnFacts&) {
  if (reader.remaining() >= 4) records::string_list(reader, writer, "paths_to_delete");
}

void error_txn(Reader& reader, FieldWriter& writer, TxnFacts&) {
  const std::int32_t err = reader.int32();
  writer.number("err", err);
  const std::string_view name = error_name(err);
  writer.name("err_name", name.empty() ? "Unknown" : name);
}

void multi_txn(Reader& reader, FieldWriter& writer, TxnFacts& facts);

constexpr std::array<TxnTypeInfo, 14> kTxnTypes = {{
    {1, "create", create_txn},
    {2, "delete", delete_txn},
    {5, "setData", set_data_txn},
    {7, "setACL", set_acl_txn},
    {13, "check", check_version_txn},
    {14, "multi", multi_txn},
    {15, "create2", create_txn},
    {16, "reconfig", set_data_txn},
    {19, "createContainer", create_container_txn},
    {20, "deleteContainer", delete_txn},
    {21, "createTTL", create_ttl_txn},
    {-10, "createSession", create_session_txn},
    {-11, "closeSession", close_session_txn},
    {-1, "error", error_txn},
}};

const TxnTypeInfo* find_txn(std::int32_t type) {
  for (const TxnTypeInfo& info : kTxnTypes) {
    if (info.type == type) return &info;
  }
  return nullptr;
}

// A multi's inner txns: each a type and the bytes of its own record. Inner multis are refused,
// so that nesting stays one level deep whatever the bytes say.
void multi_txn(Reader& reader, FieldWriter& writer, TxnFacts&) {
  const std::int32_t count = reader.vector_count(8);
  writer.begin_list("txns");
  for (std::int32_t i = 0; i < count && reader.ok(); ++i) {
    const std::int32_t type = reader.int32();
    const WireBytes data = reader.bytes();
    if (!reader.ok()) break;
    const TxnTypeInfo* info = find_txn(type);
    writer.begin_record(info != nullptr ? info->name : "unknown", "");
    if (info == nullptr || type == 14) {
      writer.number("type", type);
      writer.number("size", static_cast<std::int64_t>(data.size));
    } else {
      Reader inner(ByteSpan(data.data, data.size));
      TxnFacts inner_facts;
      info->decode(inner, writer, inner_facts);
      if (!inner.complete()) reader.fail();
    }
    writer.end_record();
  }
  writer.end_list();
}

// TxnHeader, the txn record, and (3.6+) the digest of the tree after it.
bool txn(Reader& reader, FieldWriter& writer, TxnFacts& facts) {
  facts.session = reader.int64();
  facts.cxid = reader.int32();
  const std::int64_t zxid = reader.int64();
  const std::int64_t time = reader.int64();
  facts.type = reader.int32();
  if (!reader.ok()) return false;
  const TxnTypeInfo* info = find_txn(facts.type);
  writer.name("txn", info != nullptr ? info->name : "unknown");
  writer.hex("session", static_cast<std::uint64_t>(facts.session));
  writer.number("cxid", facts.cxid);
  if (info == nullptr) {
    writer.number("txn_type", facts.type);
    writer.number("txn_size", static_cast<std::int64_t>(reader.remaining()));
    reader.skip(reader.remaining());
  } else {
    info->decode(reader, writer, facts);
  }
  writer.begin_extras();
  writer.hex("txn_zxid", static_cast<std::uint64_t>(zxid));
  writer.number("time", time);
  if (reader.remaining() == 12) {  // TxnDigest{int version; long treeDigest}
    writer.number("digest_version", reader.int32());
    writer.hex("digest", static_cast<std::uint64_t>(reader.int64()));
  }
  writer.end_extras();
  return reader.complete();
}

bool learner_info(Reader& reader, FieldWriter& writer) {
  writer.number("sid", reader.int64());
  if (reader.remaining() >= 4) writer.hex("protocol", static_cast<std::uint32_t>(reader.int32()));
  if (reader.remaining() >= 8)
    writer.hex("config_version", static_cast<std::uint64_t>(reader.int64()));
  return reader.complete();
}

// A follower's PING lists its sessions and their timeouts, back to back, with no count.
bool session_list(Reader& reader, FieldWriter& writer) {
  writer.begin_list("sessions");
  std::int64_t count = 0;
  while (reader.remaining() >= 12) {
    const std::int64_t session = reader.int64();
    const std::int32_t timeout = reader.int32();
    writer.begin_record("Session", "");
    writer.hex("id", static_cast<std::uint64_t>(session));
    writer.number("timeout", timeout);
    writer.end_record();
    ++count;
  }
  writer.end_list();
  writer.number("session_count", count);
  return reader.complete();
}

// The ensemble's configuration as text: its size, and (with -v) the text.
bool config_text(const WireBytes& data, Reader& reader, FieldWriter& writer) {
  const WireBytes config{data.data + reader.offset(), reader.remaining(), false};
  writer.number("config_size", static_cast<std::int64_t>(config.size));
  writer.begin_extras();
  writer.bytes("config", config);
  writer.end_extras();
  reader.skip(config.size);
  return reader.complete();
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
  if (bytes.size() < 8) return {Parse::kIncomplete, 0};
  const std::int64_t first = load_be64(bytes.data());
  if (first >= 0) {  // before 3.5: the sid alone
    header = {0, first, {}};
    return {Parse::kComplete, 8};
  }
  if (first != kElectionProtocolV1 && first != kElectionProtocolV2) return {Parse::kInvalid, 0};
  if (bytes.size() < 20) return {Parse::kIncomplete, 0};
  const std::int32_t length = load_be32(bytes.data() + 16);
  if (length < 0 || static_cast<std::size_t>(length) > kMaxAddresses) return {Parse::kInvalid, 0};
  const std::size_t size = 20 + static_cast<std::size_t>(length);
  if (bytes.size() < size) return {Parse::kIncomplete, 0};
  header = {first, load_be64(bytes.data() + 8),
            WireBytes{bytes.data() + 20, static_cast<std::size_t>(length), false}};
  return {Parse::kComplete, size};
}

void write_election_header(const ElectionHeader& header, FieldWriter& writer) {
  writer.number("protocol", header.protocol_version);
  writer.number("sid", header.sid);
  if (header.protocol_version != 0) writer.bytes("addresses", header.addresses);
}

Parse parse_election_message(ByteSpan bytes, ByteSpan& payload) {
  if (bytes.size() < 4) return {Parse::kIncomplete, 0};
  const std::int32_t length = load_be32(bytes.data());
  if (length < 28 || static_cast<std::size_t>(length) > kMaxElectionMessage) {
    return {Parse::kInvalid, 0};
  }
  const std::size_t size = 4 + static_cast<std::size_t>(length);
  if (bytes.size() < size) return {Parse::kIncomplete, 0};
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

void write_zxid(FieldWriter& writer, std::string_view key, std::int64_t zxid) {
  writer.hex(key, static_cast<std::uint64_t>(zxid));
  writer.begin_extras();
  writer.number("zxid_epoch", zxid_epoch(zxid));
  writer.number("zxid_counter", zxid_counter(zxid));
  writer.end_extras();
}

void write_notification(const Notification& notification, FieldWriter& writer) {
  writer.name("state", peer_state_name(notification.state));
  writer.number("leader", notification.leader);
  // The vote's zxid decides elections: its epoch and counter show on every line, not just with -v.
  writer.hex("zxid", static_cast<std::uint64_t>(notification.zxid));
  writer.number("zxid_epoch", zxid_epoch(notification.zxid));
  writer.number("zxid_counter", zxid_counter(notification.zxid));
  writer.number("election_epoch", notification.election_epoch);
  writer.number("peer_epoch", notification.peer_epoch);
  writer.number("version", notification.version);
  writer.begin_extras();
  writer.bytes("config", notification.config);
  writer.end_extras();
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
    std::string_view ports = value.substr(first + 1);
    const std::size_t second = ports.find(':');
    if (second == std::string_view::npos) continue;
    to_int(ports.substr(0, second), server.quorum_port);
    std::string_view election = ports.substr(second + 1);
    to_int(election.substr(0, election.find(':')), server.election_port);
    servers.push_back(server);
  }
  return servers;
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

Parse parse_quorum_packet(ByteSpan bytes, std::size_t max_data, QuorumPacket& packet) {
  Reader reader(bytes);
  packet.type = reader.int32();
  packet.zxid = reader.int64();
  if (!reader.ok()) return {Parse::kIncomplete, 0};
  if (packet_type_name(packet.type).empty()) return {Parse::kInvalid, 0};
  if (reader.remaining() < 4) return {Parse::kIncomplete, 0};
  const std::int32_t length = load_be32(bytes.data() + reader.offset());
  if (length < -1 || (length > 0 && static_cast<std::size_t>(length) > max_data)) {
    return {Parse::kInvalid, 0};
  }
  packet.data = reader.bytes();
  if (!reader.ok()) return {Parse::kIncomplete, 0};
  packet.auth_count = reader.int32();
  if (!reader.ok()) return {Parse::kIncomplete, 0};
  if (packet.auth_count < -1 || packet.auth_count > kMaxAuthIds) return {Parse::kInvalid, 0};
  // Each auth Id is two short strings, scheme and id: a length no Id has is not worth waiting for.
  for (std::int32_t i = 0; i < 2 * packet.auth_count; ++i) {
    if (reader.remaining() < 4) return {Parse::kIncomplete, 0};
    const std::int32_t text_length = load_be32(bytes.data() + reader.offset());
    if (text_length < -1 || text_length > kMaxAuthIdText) return {Parse::kInvalid, 0};
    reader.bytes();
    if (!reader.ok()) return {Parse::kIncomplete, 0};
  }
  return {Parse::kComplete, reader.offset()};
}

bool write_packet_data(const QuorumPacket& packet, bool from_learner, FieldWriter& writer,
                       TxnFacts& txn_facts) {
  Reader reader(ByteSpan(packet.data.data, packet.data.size));
  switch (packet.type) {
    case kProposal:
    case kInform:
      return txn(reader, writer, txn_facts);
    case kInformAndActivate:
      writer.number("suggested_leader", reader.int64());
      return txn(reader, writer, txn_facts);
    case kCommitAndActivate:
      writer.number("suggested_leader", reader.int64());
      return config_text(packet.data, reader, writer);
    case kRequest: {
      txn_facts.session = reader.int64();
      txn_facts.cxid = reader.int32();
      txn_facts.type = reader.int32();
      writer.hex("session", static_cast<std::uint64_t>(txn_facts.session));
      writer.number("cxid", txn_facts.cxid);
      const OpInfo* op = find_op(txn_facts.type);
      if (op != nullptr) {
        writer.name("op", op->json_name);
      } else {
        writer.number("op_type", txn_facts.type);
      }
      writer.number("request_size", static_cast<std::int64_t>(reader.remaining()));
      reader.skip(reader.remaining());
      return reader.complete();
    }
    case kFollowerInfo:
    case kObserverInfo:
      return learner_info(reader, writer);
    case kLeaderInfo:
      writer.hex("protocol", static_cast<std::uint32_t>(reader.int32()));
      return reader.complete();
    case kAckEpoch:
      writer.number("last_logged_epoch", reader.int32());
      return reader.complete();
    case kNewLeader:
      return config_text(packet.data, reader, writer);
    case kRevalidate:
      txn_facts.session = reader.int64();
      writer.hex("session", static_cast<std::uint64_t>(txn_facts.session));
      if (from_learner) {
        writer.number("timeout", reader.int32());
      } else {
        writer.boolean("valid", reader.boolean());
      }
      return reader.complete();
    case kPing:
      return from_learner ? session_list(reader, writer) : (reader.skip(reader.remaining()), true);
    default:  // ACK, COMMIT, SYNC, UPTODATE, DIFF, TRUNC, SNAP carry nothing but the zxid
      if (packet.data.size > 0)
        writer.number("data_size", static_cast<std::int64_t>(packet.data.size));
      return true;
  }
}

std::int64_t learner_sid(const QuorumPacket& packet) {
  if (packet.type != kFollowerInfo && packet.type != kObserverInfo) return -1;
  Reader reader(ByteSpan(packet.data.data, packet.data.size));
  const std::int64_t sid = reader.int64();
  return reader.ok() ? sid : -1;
}

}  // namespace zkdump::zk::quorum
