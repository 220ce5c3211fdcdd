// The client protocol's messages as typed values. Decoding a frame gives one of these: the
// header, the op, the facts consumers ask for, and whether the record decoded (and where it
// stopped making sense). Describing one as fields happens only when a line will be printed.
#pragma once

#include <cstdint>
#include <string_view>

#include "zkdump/base/fields.hpp"
#include "zkdump/zk/protocol.hpp"

namespace zkdump::zk {

// Whether a record decoded exactly, and if not, the offset in its frame (length prefix
// included) where it stopped making sense.
struct Decoded {
  bool complete = false;
  std::int64_t bad_byte = -1;
};

struct ConnectRequest {
  std::int32_t protocol_version = 0;
  std::int64_t last_zxid = 0;
  std::int32_t timeout = 0;
  std::int64_t session_id = 0;  // non-zero: a reconnect of an existing session
  bool read_only = false;
  Decoded decoded;
};

// A timeout of 0 (with session 0) means the session had expired.
struct ConnectResponse {
  std::int32_t protocol_version = 0;
  std::int32_t timeout = 0;
  std::int64_t session_id = 0;
  bool read_only = false;
  Decoded decoded;

  bool expired() const { return timeout <= 0; }
  // What the client library makes of it: an expiry is SessionExpired.
  std::int32_t error() const { return expired() ? kErrSessionExpired : 0; }
};

struct Request {
  std::int32_t xid = 0;
  std::int32_t opcode = 0;
  const OpInfo* op = nullptr;  // null for an opcode the protocol does not have
  std::int32_t frame_size = 0;
  ByteSpan body;  // the record after the RequestHeader, in the frame
  RequestFacts facts;
  Decoded decoded;
};

// Not in wire order: sixteen bytes come back from a function in two registers.
struct ReplyHeader {
  std::int64_t zxid = 0;
  std::int32_t xid = 0;
  std::int32_t err = 0;
};

struct Reply {
  ReplyHeader header;
  const OpInfo* op = nullptr;  // the op of the request it answers; null when none is known
  std::int32_t frame_size = 0;
  ByteSpan body;  // after the ReplyHeader
  ReplyFacts facts;
  Decoded decoded;

  // A failed reply, or a multi one of whose operations failed.
  std::int32_t error() const { return header.err != 0 ? header.err : facts.multi_error; }
};

// A watch notification: ReplyHeader(-1, zxid, 0) and a WatcherEvent.
struct WatcherEvent {
  std::int64_t zxid = 0;
  std::int32_t type = 0;
  std::int32_t state = 0;
  WireBytes path;
  std::int32_t frame_size = 0;
  Decoded decoded;
};

// `body` is a frame's bytes after its length prefix; frame_size is that prefix.
ConnectRequest decode_connect_request(ByteSpan body);
ConnectResponse decode_connect_response(ByteSpan body);
Request decode_request(ByteSpan body, std::int32_t frame_size);
ReplyHeader decode_reply_header(ByteSpan body);
// `op` is the request's, known from pairing; null decodes the header alone.
Reply decode_reply(ByteSpan body, std::int32_t frame_size, const OpInfo* op);
WatcherEvent decode_event(ByteSpan body, std::int32_t frame_size);

// A line's name, in two parts so that nothing is allocated: "Failed" + "GetDataReply".
struct LineName {
  std::string_view prefix;
  std::string_view name;
};
LineName line_name(const ConnectRequest& request);    // ConnectRequest, ReConnectRequest
LineName line_name(const ConnectResponse& response);  // ConnectReply, SessionExpiration
LineName line_name(const Request& request);           // GetDataRequest, CreateEphemeralRequest
LineName line_name(const Reply& reply);               // GetDataReply, FailedGetDataReply
LineName line_name(const WatcherEvent& event);        // EventNodeCreated

void describe(const ConnectRequest& request, FieldSink& fields);
void describe(const ConnectResponse& response, std::int64_t latency_us, FieldSink& fields);
void describe(const Request& request, FieldSink& fields);
// latency_us < 0: the request it answers was not seen.
void describe(const Reply& reply, std::int64_t latency_us, FieldSink& fields);
void describe(const WatcherEvent& event, FieldSink& fields);

}  // namespace zkdump::zk
