// ZooKeeper client-protocol knowledge: constants, code names and the opcode table. Nothing
// outside src/zk knows a byte layout.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "zkdump/base/bytes.hpp"
#include "zkdump/base/direction.hpp"
#include "zkdump/base/fields.hpp"
#include "zkdump/zk/reader.hpp"

namespace zkdump::zk {

inline constexpr std::int32_t kNotificationXid = -1;
inline constexpr std::int32_t kPingXid = -2;
inline constexpr std::int32_t kAuthXid = -4;
inline constexpr std::int32_t kSetWatchesXid = -8;
inline constexpr std::int32_t kDefaultMaxFrame = 0xfffff;  // jute.maxbuffer

inline constexpr std::int32_t kOpCreate = 1;
inline constexpr std::int32_t kOpExists = 3;
inline constexpr std::int32_t kOpSetData = 5;  // also the txn type of a setData
inline constexpr std::int32_t kOpPing = 11;
inline constexpr std::int32_t kOpMulti = 14;
inline constexpr std::int32_t kOpAuth = 100;
inline constexpr std::int32_t kOpSetWatches = 101;
inline constexpr std::int32_t kOpSasl = 102;
inline constexpr std::int32_t kOpSetWatches2 = 105;
inline constexpr std::int32_t kOpAddWatch = 106;
inline constexpr std::int32_t kOpCloseSession = -11;

inline constexpr std::int32_t kErrRuntimeInconsistency = -2;
inline constexpr std::int32_t kErrNoNode = -101;
inline constexpr std::int32_t kErrSessionExpired = -112;

inline constexpr std::size_t kLengthSize = 4;
inline constexpr std::size_t kRequestHeaderSize = 8;
inline constexpr std::size_t kReplyHeaderSize = 16;

// What a request says that a consumer may ask for, without formatting. Views point into the
// frame the request came in.
struct RequestFacts {
  WireBytes path;                   // the first path it names
  bool watch = false;               // it leaves a watch (getData, exists, getChildren)
  std::int32_t create_flags = -1;   // a create's CreateMode flags
  std::int32_t watch_mode = -1;     // addWatch's mode; checkWatches' and removeWatches' type
  std::int64_t data_size = -1;      // a create's or setData's payload
  WireBytes auth_scheme;            // an auth packet's scheme
  std::int32_t sub_operations = 0;  // a multi's
  // setWatches and setWatches2: watches re-registered, by kind.
  std::int32_t data_watches = 0;
  std::int32_t exist_watches = 0;
  std::int32_t child_watches = 0;
  std::int32_t persistent_watches = 0;
  std::int32_t recursive_watches = 0;

  bool ephemeral() const { return create_flags == 1 || create_flags == 3; }
};

// What a reply body says that a consumer may ask for.
struct ReplyFacts {
  std::int32_t multi_error = 0;  // a failed multi: the code of the operation that failed
  std::int32_t children = -1;    // a listing's count
  std::int64_t data_size = -1;   // getData's
};

// Where a record sits: a request's header fields, or a multi's sub-operation (no header of its
// own, and no trailer for detail fields).
struct RecordContext {
  std::int32_t xid = 0;
  std::int32_t frame_size = 0;  // the length prefix, zktraffic's `size=`
  bool nested = false;
};

// Fields thrown away: the walkers run with it to validate a record and collect its facts, and
// with a FieldSink to describe it. Defined in src/zk.
class NullFields;

template <class Fields>
using RequestWalker = void (*)(Reader&, const RecordContext&, Fields&, RequestFacts&);
template <class Fields>
using ReplyWalker = void (*)(Reader&, Fields&, ReplyFacts&);

// How a server answers an op: alone (reads, session-local ops), as a transaction the leader
// proposes and a quorum ACKs, or once the leader has caught it up (sync).
enum class OpRoute : std::uint8_t { kLocal, kTxn, kSync };

// One row per opcode: adding an opcode means one row plus its record walkers.
struct OpInfo {
  std::int32_t code;
  std::string_view json_name;     // as in the protocol's opcode table: getData
  std::string_view request_name;  // GetDataRequest
  std::string_view reply_name;    // GetDataReply
  RequestWalker<NullFields> parse_request;
  RequestWalker<FieldSink> describe_request;
  ReplyWalker<NullFields> parse_reply;
  ReplyWalker<FieldSink> describe_reply;
  // Its result inside a multi's reply; null for ops a multi cannot hold.
  ReplyWalker<NullFields> parse_multi_result;
  ReplyWalker<FieldSink> describe_multi_result;

  OpRoute route = OpRoute::kLocal;
  bool in_multi() const { return parse_multi_result != nullptr; }
};

// The tables behind the lookups every frame makes, defined in opcodes.cpp; the lookups are inline.
// Whether a reply's error code is a failure of its op. An exists answered NoNode is an answer
// (the node is absent), as clients read it, not an error.
constexpr bool is_failure(std::int32_t op_code, std::int32_t err) {
  return err != 0 && !(op_code == kOpExists && err == kErrNoNode);
}

namespace tables {
inline constexpr std::int32_t kLowestOpcode = -11;
inline constexpr std::int32_t kHighestOpcode = 107;
extern const OpInfo* const kOpRows;
extern const std::size_t kOpRowCount;
extern const std::array<std::int8_t, kHighestOpcode - kLowestOpcode + 1> kRowByOpcode;  // -1: none
inline constexpr std::int32_t kErrorCodes = 128;  // error codes run from 0 down to -127
extern const std::array<std::string_view, kErrorCodes> kErrorNames;
}  // namespace tables

inline const OpInfo* find_op(std::int32_t code) {
  if (code < tables::kLowestOpcode || code > tables::kHighestOpcode) return nullptr;
  const std::int8_t row =
      tables::kRowByOpcode[static_cast<std::size_t>(code - tables::kLowestOpcode)];
  return row < 0 ? nullptr : &tables::kOpRows[row];
}
// Every opcode's row has an index below op_count(), for per-op tables.
inline std::size_t op_count() {
  return tables::kOpRowCount;
}
inline std::size_t op_index(const OpInfo& op) {
  return static_cast<std::size_t>(&op - tables::kOpRows);
}
inline const OpInfo& op_at(std::size_t index) {
  return tables::kOpRows[index];
}

// Whether a client would send a request of this opcode with this xid (ping -2, auth -4, ...).
// Clients may send setWatches with xid -8; the 3.8 Java client numbers them like any request.
inline bool plausible_request_xid(std::int32_t opcode, std::int32_t xid) {
  switch (opcode) {
    case kOpPing:
      return xid == kPingXid;
    case kOpAuth:
      return xid == kAuthXid;
    case kOpSetWatches:
    case kOpSetWatches2:
      return xid == kSetWatchesXid || xid > 0;
    default:
      return xid > 0;
  }
}
// The op a reply to a reserved xid answers, even when its request was not captured.
const OpInfo* op_for_reserved_xid(std::int32_t xid);

// Empty when unknown.
inline std::string_view error_name(std::int32_t err) {
  return err <= 0 && err > -tables::kErrorCodes
             ? tables::kErrorNames[static_cast<std::size_t>(-err)]
             : std::string_view();
}
// A name from a table, or "Unknown" for a code the table lacks.
inline std::string_view or_unknown(std::string_view name) {
  return name.empty() ? std::string_view("Unknown") : name;
}
inline bool is_known_error(std::int32_t err) {
  return !error_name(err).empty();
}
std::string_view event_type_name(std::int32_t type);  // empty when unknown
std::string_view keeper_state_name(std::int32_t state);
std::string_view four_letter_word(const std::uint8_t* first4);  // empty unless a known word

// Size checks used to recognise handshake frames when a stream is joined mid-way.
bool looks_like_connect_request(std::int32_t length, const std::uint8_t* body);
bool looks_like_connect_response(std::int32_t length, const std::uint8_t* body);

}  // namespace zkdump::zk
