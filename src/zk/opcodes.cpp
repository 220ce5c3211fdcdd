// The opcode table and the code-name tables (ZooDefs.OpCode, KeeperException.Code,
// Watcher.Event), plus the handshake and notification records.
#include <array>
#include <cstring>

#include "records.hpp"
#include "zkdump/zk/protocol.hpp"

namespace zkdump::zk {
namespace {

using namespace records;

constexpr std::array kOps = {
    //     code json_name               request_name                 reply_name request decoder
    //     reply decoder        in multi
    OpInfo{1, "create", "CreateRequest", "CreateReply", create, path_reply, true},
    OpInfo{2, "delete", "DeleteRequest", "DeleteReply", delete_node, empty_reply, true},
    OpInfo{3, "exists", "ExistsRequest", "ExistsReply", path_watch, stat_reply, false},
    OpInfo{4, "getData", "GetDataRequest", "GetDataReply", path_watch, data_stat_reply, true},
    OpInfo{5, "setData", "SetDataRequest", "SetDataReply", set_data, stat_reply, true},
    OpInfo{6, "getACL", "GetAclRequest", "GetAclReply", path_only, acl_stat_reply, false},
    OpInfo{7, "setACL", "SetAclRequest", "SetAclReply", set_acl, stat_reply, false},
    OpInfo{8, "getChildren", "GetChildrenRequest", "GetChildrenReply", path_watch, children_reply,
           true},
    OpInfo{9, "sync", "SyncRequest", "SyncReply", path_only, path_detail_reply, false},
    OpInfo{11, "ping", "PingRequest", "PingReply", no_fields, empty_reply, false},
    OpInfo{12, "getChildren2", "GetChildren2Request", "GetChildren2Reply", path_watch,
           children_stat_reply, false},
    OpInfo{13, "check", "CheckRequest", "CheckReply", check_version, stat_reply, true},
    OpInfo{14, "multi", "MultiRequest", "MultiReply", multi, multi_reply, false},
    OpInfo{15, "create2", "Create2Request", "Create2Reply", create, path_stat_reply, true},
    OpInfo{16, "reconfig", "ReconfigRequest", "ReconfigReply", reconfig, data_stat_reply, false},
    OpInfo{17, "checkWatches", "CheckWatchesRequest", "CheckWatchesReply", watches_by_type,
           empty_reply, false},
    OpInfo{18, "removeWatches", "RemoveWatchesRequest", "RemoveWatchesReply", watches_by_type,
           empty_reply, false},
    OpInfo{19, "createContainer", "CreateContainerRequest", "CreateContainerReply", create,
           path_stat_reply, true},
    OpInfo{20, "deleteContainer", "DeleteContainerRequest", "DeleteContainerReply", path_only,
           empty_reply, false},
    OpInfo{21, "createTTL", "CreateTTLRequest", "CreateTTLReply", create_ttl, path_stat_reply,
           true},
    OpInfo{22, "multiRead", "MultiReadRequest", "MultiReadReply", multi, multi_reply, false},
    OpInfo{100, "auth", "SetAuthRequest", "AuthReply", auth, empty_reply, false},
    OpInfo{101, "setWatches", "SetWatchesRequest", "SetWatchesReply", set_watches, empty_reply,
           false},
    OpInfo{102, "sasl", "SaslRequest", "SaslReply", sasl, sasl_reply, false},
    OpInfo{103, "getEphemerals", "GetEphemeralsRequest", "GetEphemeralsReply", path_only,
           children_reply, false},
    OpInfo{104, "getAllChildrenNumber", "GetAllChildrenNumberRequest", "GetAllChildrenNumberReply",
           path_only, child_count_reply, false},
    OpInfo{105, "setWatches2", "SetWatches2Request", "SetWatches2Reply", set_watches2, empty_reply,
           false},
    OpInfo{106, "addWatch", "AddWatchRequest", "AddWatchReply", add_watch, error_code_reply, false},
    OpInfo{107, "whoAmI", "WhoAmIRequest", "WhoAmIReply", header_only, who_am_i_reply, false},
    OpInfo{-11, "closeSession", "CloseRequest", "CloseReply", no_fields, empty_reply, false},
};

constexpr std::int32_t kLowestCode = -11;
constexpr std::int32_t kHighestCode = 107;

// Dense index from opcode to row, built once at compile time.
constexpr auto kOpIndex = [] {
  std::array<std::int8_t, kHighestCode - kLowestCode + 1> index{};
  for (auto& slot : index) slot = -1;
  for (std::size_t row = 0; row < kOps.size(); ++row) {
    index[static_cast<std::size_t>(kOps[row].code - kLowestCode)] = static_cast<std::int8_t>(row);
  }
  return index;
}();

struct CodeName {
  std::int32_t code;
  std::string_view name;
};

constexpr CodeName kErrors[] = {
    {0, "OK"},
    {-1, "SystemError"},
    {-2, "RuntimeInconsistency"},
    {-3, "DataInconsistency"},
    {-4, "ConnectionLoss"},
    {-5, "MarshallingError"},
    {-6, "Unimplemented"},
    {-7, "OperationTimeout"},
    {-8, "BadArguments"},
    {-12, "UnknownSession"},
    {-13, "NewConfigNoQuorum"},
    {-14, "ReconfigInProgress"},
    {-100, "APIError"},
    {-101, "NoNode"},
    {-102, "NoAuth"},
    {-103, "BadVersion"},
    {-108, "NoChildrenForEphemerals"},
    {-110, "NodeExists"},
    {-111, "NotEmpty"},
    {-112, "SessionExpired"},
    {-113, "InvalidCallback"},
    {-114, "InvalidACL"},
    {-115, "AuthFailed"},
    {-118, "SessionMoved"},
    {-119, "NotReadOnly"},
    {-120, "EphemeralOnLocalSession"},
    {-121, "NoWatcher"},
    {-122, "RequestTimeout"},
    {-123, "ReconfigDisabled"},
    {-124, "SessionClosedRequireSaslAuth"},
    {-125, "QuotaExceeded"},
    {-127, "Throttled"},
};

constexpr CodeName kEventTypes[] = {
    {-1, "None"},
    {1, "NodeCreated"},
    {2, "NodeDeleted"},
    {3, "NodeDataChanged"},
    {4, "NodeChildrenChanged"},
    {5, "DataWatchRemoved"},
    {6, "ChildWatchRemoved"},
    {7, "PersistentWatchRemoved"},
};

constexpr CodeName kKeeperStates[] = {
    {-1, "Unknown"},          {0, "Disconnected"}, {1, "NoSyncConnected"},
    {3, "SyncConnected"},     {4, "AuthFailed"},   {5, "ConnectedReadOnly"},
    {6, "SaslAuthenticated"}, {-112, "Expired"},   {7, "Closed"},
};

// Error codes run from 0 down to -127: a dense table, since every reply header is checked.
constexpr std::int32_t kErrorIndexSize = 128;
constexpr auto kErrorNames = [] {
  std::array<std::string_view, kErrorIndexSize> names{};
  for (const CodeName& entry : kErrors) names[static_cast<std::size_t>(-entry.code)] = entry.name;
  return names;
}();

template <std::size_t N>
std::string_view lookup(const CodeName (&table)[N], std::int32_t code) {
  for (const CodeName& entry : table) {
    if (entry.code == code) return entry.name;
  }
  return {};
}

constexpr std::string_view kFourLetterWords[] = {"conf", "cons", "crst", "dirs", "dump", "envi",
                                                 "gtmk", "ruok", "stmk", "srst", "srvr", "stat",
                                                 "wchc", "wchp", "wchs", "mntr", "isro", "hash"};

constexpr std::size_t kPasswordSize = 16;
constexpr std::int32_t kConnectRequestSize =
    4 + 8 + 4 + 8 + 4 + kPasswordSize;  // + optional readOnly
constexpr std::int32_t kConnectResponseSize = 4 + 4 + 8 + 4 + kPasswordSize;

}  // namespace

const OpInfo* find_op(std::int32_t code) {
  if (code < kLowestCode || code > kHighestCode) return nullptr;
  const std::int8_t row = kOpIndex[static_cast<std::size_t>(code - kLowestCode)];
  return row < 0 ? nullptr : &kOps[static_cast<std::size_t>(row)];
}

bool plausible_request_xid(std::int32_t opcode, std::int32_t xid) {
  switch (opcode) {
    case kOpPing:
      return xid == kPingXid;
    case kOpAuth:
      return xid == kAuthXid;
    // Clients may send setWatches with xid -8; the 3.8 Java client numbers them like any request.
    case kOpSetWatches:
    case kOpSetWatches2:
      return xid == kSetWatchesXid || xid > 0;
    default:
      return xid > 0;
  }
}

std::string_view error_name(std::int32_t err) {
  return err <= 0 && err > -kErrorIndexSize ? kErrorNames[static_cast<std::size_t>(-err)]
                                            : std::string_view();
}
bool is_known_error(std::int32_t err) {
  return !error_name(err).empty();
}
std::string_view event_type_name(std::int32_t type) {
  return lookup(kEventTypes, type);
}
std::string_view keeper_state_name(std::int32_t state) {
  return lookup(kKeeperStates, state);
}

std::string_view four_letter_word(const std::uint8_t* first4) {
  const std::string_view candidate(reinterpret_cast<const char*>(first4), 4);
  for (std::string_view word : kFourLetterWords) {
    if (word == candidate) return word;
  }
  return {};
}

ConnectFacts decode_connect_request(Reader& reader, FieldWriter& writer) {
  ConnectFacts facts;
  facts.protocol_version = reader.int32();
  const std::int64_t last_zxid = reader.int64();
  facts.timeout = reader.int32();
  facts.session_id = reader.int64();
  reader.bytes();  // the session password is a secret and is never shown
  if (!reader.at_end()) facts.read_only = reader.boolean();
  if (!reader.ok()) return facts;
  writer.number("ver", facts.protocol_version);
  writer.number("zxid", last_zxid);
  writer.number("timeout", facts.timeout);
  writer.hex("session", static_cast<std::uint64_t>(facts.session_id));
  writer.boolean("readonly", facts.read_only);
  return facts;
}

ConnectFacts decode_connect_response(Reader& reader, FieldWriter& writer) {
  ConnectFacts facts;
  facts.protocol_version = reader.int32();
  facts.timeout = reader.int32();
  facts.session_id = reader.int64();
  reader.bytes();
  if (!reader.at_end()) facts.read_only = reader.boolean();
  if (!reader.ok()) return facts;
  writer.number("ver", facts.protocol_version);
  writer.number("timeout", facts.timeout);
  writer.hex("session", static_cast<std::uint64_t>(facts.session_id));
  writer.boolean("readonly", facts.read_only);
  return facts;
}

WatcherEvent decode_watcher_event(Reader& reader) {
  WatcherEvent event;
  event.type = reader.int32();
  event.state = reader.int32();
  event.path = reader.bytes();
  return event;
}

bool looks_like_connect_request(std::int32_t length, const std::uint8_t* body) {
  if (length != kConnectRequestSize && length != kConnectRequestSize + 1) return false;
  return load_be32(body) == 0 && load_be32(body + 24) == static_cast<std::int32_t>(kPasswordSize);
}

bool looks_like_connect_response(std::int32_t length, const std::uint8_t* body) {
  if (length != kConnectResponseSize && length != kConnectResponseSize + 1) return false;
  return load_be32(body) == 0 && load_be32(body + 16) == static_cast<std::int32_t>(kPasswordSize);
}

}  // namespace zkdump::zk
