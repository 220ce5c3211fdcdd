// ZooKeeper client-protocol knowledge: constants, code names, the opcode table and the record
// decoders. Nothing outside src/zk knows a byte layout.
#pragma once

#include <cstdint>
#include <string_view>

#include "zkdump/zk/field_writer.hpp"
#include "zkdump/zk/reader.hpp"

namespace zkdump::zk {

inline constexpr std::int32_t kNotificationXid = -1;
inline constexpr std::int32_t kPingXid = -2;
inline constexpr std::int32_t kAuthXid = -4;
inline constexpr std::int32_t kSetWatchesXid = -8;
inline constexpr std::int32_t kDefaultMaxFrame = 0xfffff;  // jute.maxbuffer

inline constexpr std::int32_t kOpPing = 11;
inline constexpr std::int32_t kOpAuth = 100;
inline constexpr std::int32_t kOpSasl = 102;
inline constexpr std::int32_t kOpSetWatches = 101;
inline constexpr std::int32_t kOpSetWatches2 = 105;
inline constexpr std::int32_t kOpCloseSession = -11;

inline constexpr std::size_t kRequestHeaderSize = 8;
inline constexpr std::size_t kReplyHeaderSize = 16;

// What a request decoder knows besides the body, and what it tells the caller back.
struct RequestContext {
  std::int32_t xid = 0;
  std::int32_t frame_size = 0;  // the length prefix, zktraffic's `size=`
  bool in_multi = false;        // a multi's sub-operation: no xid/size, details inline
  bool show_credentials = false;
};

struct RequestFacts {
  WireBytes path;                  // the request's first path, for pairing and statistics
  std::string_view name_override;  // e.g. CreateEphemeral
  WireBytes auth_scheme;           // of an auth packet
};

using RequestDecoder = void (*)(Reader&, const RequestContext&, FieldWriter&, RequestFacts&);
using ReplyDecoder = void (*)(Reader&, FieldWriter&);

// One row per opcode: adding an opcode means one row plus its record decoders.
struct OpInfo {
  std::int32_t code;
  std::string_view json_name;     // as in the protocol's opcode table: getData
  std::string_view request_name;  // GetDataRequest
  std::string_view reply_name;    // GetDataReply
  RequestDecoder decode_request;
  ReplyDecoder decode_reply;
  bool in_multi;  // may appear inside multi / multiRead
};

const OpInfo* find_op(std::int32_t code);

// Whether a client would send a request of this opcode with this xid (ping -2, auth -4, ...).
bool plausible_request_xid(std::int32_t opcode, std::int32_t xid);

std::string_view error_name(std::int32_t err);  // empty when unknown
bool is_known_error(std::int32_t err);
std::string_view event_type_name(std::int32_t type);  // empty when unknown
std::string_view keeper_state_name(std::int32_t state);
std::string_view four_letter_word(const std::uint8_t* first4);  // empty unless a known word

// Records without a RequestHeader/ReplyHeader: the connection handshake and notifications.
struct ConnectFacts {
  std::int32_t protocol_version = 0;
  std::int32_t timeout = 0;
  std::int64_t session_id = 0;
  bool read_only = false;
};
// Both decode the whole frame body and fail the reader unless it is exactly the record.
ConnectFacts decode_connect_request(Reader& reader, FieldWriter& writer);
ConnectFacts decode_connect_response(Reader& reader, FieldWriter& writer);

struct WatcherEvent {
  std::int32_t type = 0;
  std::int32_t state = 0;
  WireBytes path;
};
WatcherEvent decode_watcher_event(Reader& reader);

// Size checks used to recognise handshake frames when a stream is joined mid-way.
bool looks_like_connect_request(std::int32_t length, const std::uint8_t* body);
bool looks_like_connect_response(std::int32_t length, const std::uint8_t* body);

}  // namespace zkdump::zk
