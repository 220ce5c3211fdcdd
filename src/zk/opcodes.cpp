// The opcode table and the code-name tables (ZooDefs.OpCode, KeeperException.Code,
// Watcher.Event).
#include <array>
#include <cstring>

#include "records.hpp"
#include "zkdump/zk/protocol.hpp"

namespace zkdump::zk {
namespace {

using namespace records;

// A record walker as the table holds it: parsing it, and describing it. (A template's name
// cannot be put in parentheses.)
#define ZK_WALKERS(walker) \
  walker<NullFields>, walker<FieldSink>  // NOLINT(bugprone-macro-parentheses)
#define ZK_NOT_IN_MULTI nullptr, nullptr

constexpr std::array kOps = {
    OpInfo{1, "create", "CreateRequest", "CreateReply", ZK_WALKERS(create), ZK_WALKERS(path_reply),
           ZK_WALKERS(path_reply), OpRoute::kTxn},
    OpInfo{2, "delete", "DeleteRequest", "DeleteReply", ZK_WALKERS(delete_node),
           ZK_WALKERS(empty_reply), ZK_WALKERS(empty_reply), OpRoute::kTxn},
    OpInfo{3, "exists", "ExistsRequest", "ExistsReply", ZK_WALKERS(path_watch),
           ZK_WALKERS(stat_reply), ZK_NOT_IN_MULTI},
    OpInfo{4, "getData", "GetDataRequest", "GetDataReply", ZK_WALKERS(path_watch),
           ZK_WALKERS(data_stat_reply), ZK_WALKERS(data_stat_result)},
    OpInfo{5, "setData", "SetDataRequest", "SetDataReply", ZK_WALKERS(set_data),
           ZK_WALKERS(stat_reply), ZK_WALKERS(stat_result), OpRoute::kTxn},
    OpInfo{6, "getACL", "GetAclRequest", "GetAclReply", ZK_WALKERS(path_only),
           ZK_WALKERS(acl_stat_reply), ZK_NOT_IN_MULTI},
    OpInfo{7, "setACL", "SetAclRequest", "SetAclReply", ZK_WALKERS(set_acl), ZK_WALKERS(stat_reply),
           ZK_NOT_IN_MULTI, OpRoute::kTxn},
    OpInfo{8, "getChildren", "GetChildrenRequest", "GetChildrenReply", ZK_WALKERS(path_watch),
           ZK_WALKERS(children_reply), ZK_WALKERS(children_result)},
    OpInfo{9, "sync", "SyncRequest", "SyncReply", ZK_WALKERS(path_only),
           ZK_WALKERS(path_detail_reply), ZK_NOT_IN_MULTI, OpRoute::kSync},
    OpInfo{11, "ping", "PingRequest", "PingReply", ZK_WALKERS(no_fields), ZK_WALKERS(empty_reply),
           ZK_NOT_IN_MULTI},
    OpInfo{12, "getChildren2", "GetChildren2Request", "GetChildren2Reply", ZK_WALKERS(path_watch),
           ZK_WALKERS(children_stat_reply), ZK_NOT_IN_MULTI},
    OpInfo{13, "check", "CheckRequest", "CheckReply", ZK_WALKERS(check_version),
           ZK_WALKERS(stat_reply), ZK_WALKERS(empty_reply), OpRoute::kTxn},
    OpInfo{14, "multi", "MultiRequest", "MultiReply", ZK_WALKERS(multi), ZK_WALKERS(multi_reply),
           ZK_NOT_IN_MULTI, OpRoute::kTxn},
    OpInfo{15, "create2", "Create2Request", "Create2Reply", ZK_WALKERS(create),
           ZK_WALKERS(path_stat_reply), ZK_WALKERS(path_stat_result), OpRoute::kTxn},
    OpInfo{16, "reconfig", "ReconfigRequest", "ReconfigReply", ZK_WALKERS(reconfig),
           ZK_WALKERS(data_stat_reply), ZK_NOT_IN_MULTI, OpRoute::kTxn},
    OpInfo{17, "checkWatches", "CheckWatchesRequest", "CheckWatchesReply",
           ZK_WALKERS(watches_by_type), ZK_WALKERS(empty_reply), ZK_NOT_IN_MULTI},
    OpInfo{18, "removeWatches", "RemoveWatchesRequest", "RemoveWatchesReply",
           ZK_WALKERS(watches_by_type), ZK_WALKERS(empty_reply), ZK_NOT_IN_MULTI},
    OpInfo{19, "createContainer", "CreateContainerRequest", "CreateContainerReply",
           ZK_WALKERS(create), ZK_WALKERS(path_stat_reply), ZK_WALKERS(path_stat_result),
           OpRoute::kTxn},
    OpInfo{20, "deleteContainer", "DeleteContainerRequest", "DeleteContainerReply",
           ZK_WALKERS(path_only), ZK_WALKERS(empty_reply), ZK_NOT_IN_MULTI, OpRoute::kTxn},
    OpInfo{21, "createTTL", "CreateTTLRequest", "CreateTTLReply", ZK_WALKERS(create_ttl),
           ZK_WALKERS(path_stat_reply), ZK_WALKERS(path_stat_result), OpRoute::kTxn},
    OpInfo{22, "multiRead", "MultiReadRequest", "MultiReadReply", ZK_WALKERS(multi),
           ZK_WALKERS(multi_reply), ZK_NOT_IN_MULTI},
    OpInfo{100, "auth", "SetAuthRequest", "AuthReply", ZK_WALKERS(auth), ZK_WALKERS(empty_reply),
           ZK_NOT_IN_MULTI},
    OpInfo{101, "setWatches", "SetWatchesRequest", "SetWatchesReply", ZK_WALKERS(set_watches),
           ZK_WALKERS(empty_reply), ZK_NOT_IN_MULTI},
    OpInfo{102, "sasl", "SaslRequest", "SaslReply", ZK_WALKERS(sasl), ZK_WALKERS(sasl_reply),
           ZK_NOT_IN_MULTI},
    OpInfo{103, "getEphemerals", "GetEphemeralsRequest", "GetEphemeralsReply",
           ZK_WALKERS(path_only), ZK_WALKERS(children_reply), ZK_NOT_IN_MULTI},
    OpInfo{104, "getAllChildrenNumber", "GetAllChildrenNumberRequest", "GetAllChildrenNumberReply",
           ZK_WALKERS(path_only), ZK_WALKERS(child_count_reply), ZK_NOT_IN_MULTI},
    OpInfo{105, "setWatches2", "SetWatches2Request", "SetWatches2Reply", ZK_WALKERS(set_watches2),
           ZK_WALKERS(empty_reply), ZK_NOT_IN_MULTI},
    OpInfo{106, "addWatch", "AddWatchRequest", "AddWatchReply", ZK_WALKERS(add_watch),
           ZK_WALKERS(error_code_reply), ZK_NOT_IN_MULTI},
    OpInfo{107, "whoAmI", "WhoAmIRequest", "WhoAmIReply", ZK_WALKERS(header_only),
           ZK_WALKERS(who_am_i_reply), ZK_NOT_IN_MULTI},
    OpInfo{-11, "closeSession", "CloseRequest", "CloseReply", ZK_WALKERS(no_fields),
           ZK_WALKERS(empty_reply), ZK_NOT_IN_MULTI, OpRoute::kTxn},
};

#undef ZK_WALKERS
#undef ZK_NOT_IN_MULTI

using tables::kHighestOpcode;
using tables::kLowestOpcode;

// Dense index from opcode to row, built once at compile time.
constexpr auto kOpIndex = [] {
  std::array<std::int8_t, kHighestOpcode - kLowestOpcode + 1> index{};
  for (auto& slot : index) slot = -1;
  for (std::size_t row = 0; row < kOps.size(); ++row) {
    index[static_cast<std::size_t>(kOps[row].code - kLowestOpcode)] = static_cast<std::int8_t>(row);
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
constexpr auto kErrorIndex = [] {
  std::array<std::string_view, tables::kErrorCodes> names{};
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

namespace tables {
const OpInfo* const kOpRows = kOps.data();
const std::size_t kOpRowCount = kOps.size();
const std::array<std::int8_t, kHighestOpcode - kLowestOpcode + 1> kRowByOpcode = kOpIndex;
const std::array<std::string_view, kErrorCodes> kErrorNames = kErrorIndex;
}  // namespace tables

const OpInfo* op_for_reserved_xid(std::int32_t xid) {
  switch (xid) {
    case kPingXid:
      return find_op(kOpPing);
    case kAuthXid:
      return find_op(kOpAuth);
    case kSetWatchesXid:
      return find_op(kOpSetWatches);
    default:
      return nullptr;
  }
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

bool looks_like_connect_request(std::int32_t length, const std::uint8_t* body) {
  if (length != kConnectRequestSize && length != kConnectRequestSize + 1) return false;
  return load_be32(body) == 0 && load_be32(body + 24) == static_cast<std::int32_t>(kPasswordSize);
}

bool looks_like_connect_response(std::int32_t length, const std::uint8_t* body) {
  if (length != kConnectResponseSize && length != kConnectResponseSize + 1) return false;
  return load_be32(body) == 0 && load_be32(body + 16) == static_cast<std::int32_t>(kPasswordSize);
}

}  // namespace zkdump::zk
